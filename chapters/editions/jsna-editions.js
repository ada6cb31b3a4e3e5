/* The edition switcher and the "newer edition" banner of a published edition (jsna release).

   Every page of an edition carries <nav id="jsna-editions" data-edition="V" data-root="../"
   data-page="path/of/page.html">, written at publish time with plain links (this edition, what
   changed, all editions) that work without JavaScript. This script reads the site's list of
   editions at view time, so a published edition never has to change when a newer one appears:
   over http(s) it fetches <site>/editions.json; from the file system, where browsers block
   fetch, it loads <site>/editions.js (the same list, as a script). It then adds a list of every
   edition (each linking to this page in that edition when it has it) and, on an older edition,
   a banner saying a newer one exists, linking to this page in the newest edition.
   Nothing is loaded from elsewhere; every text from the list is set as text, never as HTML.
   On a page without that bar (a build that is not an edition) it does nothing. */
(function () {
  "use strict";
  /* Loaded with defer by the edition bar; from a page's head, it would wait for the page. */
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }

  function start() {
  var nav = document.getElementById("jsna-editions");
  if (!nav || nav.getAttribute("data-started")) { return; }
  nav.setAttribute("data-started", "true");
  var current = nav.getAttribute("data-edition") || "";
  var root = nav.getAttribute("data-root") || "";
  var page = nav.getAttribute("data-page") || "index.html";
  var site = root + "../";

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  /* This page in edition e, or e's start page when e has no such page. */
  function address(edition) {
    var pages = edition.pages || [];
    return site + edition.path + (pages.indexOf(page) >= 0 ? page : "index.html");
  }

  function show(data) {
    var editions = (data && data.editions) || [];
    if (!editions.length || nav.getAttribute("data-shown")) { return; }
    nav.setAttribute("data-shown", "true");
    var newest = editions[0];
    var here = editions.filter(function (e) { return e.version === current; })[0];
    if (here && newest.version !== current) {
      var banner = element("p", { "class": "jsna-newer", "role": "note" });
      banner.appendChild(element("strong", {}, "A newer edition exists: "));
      banner.appendChild(document.createTextNode("edition " + newest.version + ", published " + newest.date_text + ". "));
      var has = (newest.pages || []).indexOf(page) >= 0;
      banner.appendChild(element("a", { href: address(newest), "class": "jsna-newer-link" },
        has ? "See this page in edition " + newest.version : "Go to edition " + newest.version + " (it has no page like this one)"));
      nav.insertBefore(banner, nav.firstChild);
    }
    var details = element("details", { "class": "jsna-switcher" });
    details.appendChild(element("summary", {}, "Editions (" + editions.length + ")"));
    var list = element("ul");
    editions.forEach(function (edition, i) {
      var item = element("li");
      var link = element("a", { href: address(edition) }, "Edition " + edition.version);
      if (edition.version === current) { link.setAttribute("aria-current", "page"); }
      item.appendChild(link);
      var words = ", " + edition.date_text;
      if (i === 0) { words += " (newest)"; }
      if (edition.version === current) { words += " (this edition)"; }
      item.appendChild(document.createTextNode(words));
      list.appendChild(item);
    });
    details.appendChild(list);
    nav.appendChild(details);
  }

  function fromScript() {
    var script = element("script", { src: site + "editions.js" });
    script.onload = function () { show(window.JSNA_EDITIONS); };
    document.head.appendChild(script);
  }

  if ((location.protocol === "http:" || location.protocol === "https:") && window.fetch) {
    window.fetch(site + "editions.json", { cache: "no-cache" })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(show, fromScript);
  } else {
    fromScript();
  }
  }
})();
