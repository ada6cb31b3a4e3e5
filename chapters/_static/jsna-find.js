/* "Find my area" on the start page (jsna/book/find.py writes the block it works on).
 * 1. Draws the ward map from its inline Vega-Lite specification with the vendored vega-embed;
 *    each ward opens its profile.
 * 2. When the book has a postcode lookup (_static/postcodes.json), shows the postcode box and
 *    finds the reader's ward in the browser. Without the lookup (or where the browser cannot
 *    fetch it, as from the file system) the box stays hidden: the lists below still work.
 */
(function () {
  "use strict";

  function drawMap() {
    var spec = document.getElementById("jsna-find-spec");
    var target = document.getElementById("jsna-find-map");
    if (!spec || !target || typeof vegaEmbed !== "function") return;
    vegaEmbed(target, JSON.parse(spec.textContent), { actions: false, renderer: "svg" }).catch(function () {
      target.textContent = "The map could not be drawn; the lists below give every ward.";
    });
  }

  function postcodeBox() {
    var form = document.getElementById("jsna-postcode");
    if (!form || !window.fetch) return;
    fetch(form.dataset.lookup).then(function (response) {
      if (!response.ok) throw new Error("no lookup");
      return response.json();
    }).then(function (lookup) {
      var spec = JSON.parse((document.getElementById("jsna-find-spec") || {}).textContent || "{}");
      var wards = {};
      ((((spec.transform || [])[0] || {}).from || {}).data || { values: [] }).values.forEach(function (w) { wards[w.area_code] = w; });
      var input = document.getElementById("jsna-postcode-input");
      var result = document.getElementById("jsna-postcode-result");
      form.hidden = false;
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var compact = input.value.toUpperCase().replace(/\s+/g, "");
        var key = compact.slice(0, -3) + " " + compact.slice(-3);
        var ward = wards[lookup[key]];
        result.textContent = "";
        if (!/^[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-Z]{2}$/.test(compact)) {
          result.textContent = "That does not look like a postcode: try one like DY1 1HF.";
        } else if (!lookup[key]) {
          result.textContent = "The postcode " + key + " is not in this book's area.";
        } else if (!ward) {
          result.textContent = key + " is in ward " + lookup[key] + ", which has no page in this book.";
        } else {
          var link = document.createElement("a");
          link.href = ward.href;
          link.textContent = ward.name;
          result.append(key + " is in ", link, ".");
        }
      });
    }).catch(function () { /* no lookup: the box stays hidden */ });
  }

  document.addEventListener("DOMContentLoaded", function () { drawMap(); postcodeBox(); });
})();
