/* Accessibility and layout for the book's charts and tables, and for three widgets of the stock
   Jupyter Book theme (pydata-sphinx-theme), as axe-core checks them (tests/test_accessibility.py)
   and as tests/test_print_and_layout.py checks the layout on a laptop, a phone and paper. */

/* ---------------------------------------------------------------------------------------------
   The chart libraries (vega and vega-lite, vendored under _static/vendor/: 0.8 MB) load only on
   a page that draws a chart: until they have, vegaEmbed is this stand-in, which loads them on its
   first call and then draws every call with jsnaDraw. Each caller gets a promise of what
   vega-embed's gives ({view, spec, vgSpec, finalize}). Loaded in order, downloaded together,
   with the book's chart theme (jsna-chart-config.js, written by the build from
   jsna/pages/charts.py: the charts' specifications leave it out, so it is on the page once).

   jsnaDraw is what the book used of vega-embed (60 KB more on every chart page): compile a
   Vega-Lite specification with the theme, draw it as SVG in the element with hover, and log
   Vega's warnings (the browser tests fail on any). Its tooltips are Vega's own (the mark's
   title, shown by the browser), mouse-only as vega-embed's were.

   Vega names the element it draws in after the specification's description, and "Vega
   visualization" when it has none (the book's specifications leave it out: the alt text is the
   element's name already, its aria-label or the caption its aria-labelledby points to). Every
   vegaEmbed call therefore gives the element back the name it had before.
   --------------------------------------------------------------------------------------------- */
function jsnaDraw(element, spec, options) {
  options = options || {};
  var target = typeof element === "string" ? document.querySelector(element) : element;
  var isVega = options.mode === "vega" || /\/schema\/vega\//.test(spec.$schema || "");
  var vgSpec = isVega ? spec : vegaLite.compile(spec, { config: options.config || {} }).spec;
  var view = new vega.View(vega.parse(vgSpec, isVega ? options.config : undefined), {
    container: target, renderer: options.renderer || "svg", hover: true, logLevel: vega.Warn
  });
  target.classList.add("vega-embed");
  return view.runAsync().then(function () {
    return { view: view, spec: spec, vgSpec: vgSpec, finalize: function () { view.finalize(); } };
  });
}

function jsnaKeepsName(embed) {
  var named = function (element, spec, options) {
    var target = typeof element === "string" ? document.querySelector(element) : element;
    var name = target && target.getAttribute("aria-label");
    return embed(element, spec, options).then(function (result) {
      var box = result && result.view && result.view.container();
      if (name && box) box.setAttribute("aria-label", name);
      else if (box && box.hasAttribute("aria-labelledby")) box.removeAttribute("aria-label");
      return result;
    });
  };
  Object.keys(embed).forEach(function (key) { named[key] = embed[key]; });
  named.jsnaNamed = true;
  return named;
}

(function () {
  if (typeof window.vegaEmbed === "function") {
    if (!window.vegaEmbed.jsnaNamed) window.vegaEmbed = jsnaKeepsName(window.vegaEmbed);
    window.jsnaChartLibraries = function () { return Promise.resolve(window.vegaEmbed); };
    return;
  }
  var here = document.currentScript && document.currentScript.src;
  var folder = here ? here.replace(/[^/]*$/, "") : "_static/";
  var loading = null;
  function load() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        ["vendor/vega.min.js", "vendor/vega-lite.min.js", "jsna-chart-config.js"].forEach(function (file, i, files) {
          var script = document.createElement("script");
          script.src = folder + file;
          script.async = false;
          script.onerror = function () { reject(new Error("could not load " + file)); };
          if (i === files.length - 1) script.onload = function () {
            if (window.vega && window.vegaLite) window.vegaEmbed = jsnaKeepsName(jsnaDraw);
            resolve(window.vegaEmbed);
          };
          document.head.appendChild(script);
        });
      });
    }
    return loading;
  }
  var standIn = function (element, spec, options) {
    return load().then(function (embed) {
      if (typeof embed !== "function" || embed === standIn) throw new Error("the chart libraries did not load");
      return embed(element, spec, options);
    });
  };
  window.jsnaChartLibraries = load;
  window.vegaEmbed = standIn;
})();

/* ---------------------------------------------------------------------------------------------
   Charts. Each chart of a page is one jsnaChart("#id", spec) call (jsna/pages/charts.py): a
   Vega-Lite specification drawn as SVG with the book's theme, no actions menu, then described.
   A drawn chart is one image named by its alt text (the data table beside it has the numbers):
   Vega's own SVG roles would otherwise expose every mark group, often without a name. Then the
   chart is fitted to its column (jsnaFit).
   --------------------------------------------------------------------------------------------- */
function jsnaChart(element, spec) {
  return window.jsnaChartLibraries().then(function (embed) {
    return embed(element, spec, { mode: "vega-lite", renderer: "svg", actions: false, config: window.jsnaChartConfig || {} });
  }).then(jsnaDescribed).catch(console.error);
}

function jsnaDescribed(result) {
  var container = result.view.container();
  container.setAttribute("role", "img");
  container.querySelectorAll("svg").forEach(function (svg) { svg.setAttribute("aria-hidden", "true"); });
  jsnaCharts.push(result);
  jsnaFit(result);
  return result;
}

var jsnaCharts = [];
/* Below this share of its drawn size a chart's words are too small to read: it keeps its size
   and scrolls sideways inside its own focusable area instead (the data table has every number). */
var JSNA_SMALLEST_SCALE = 0.4;
/* A chart's plot is laid out again no narrower than this share of its width (the every-indicator
   grid's cells still hold their numbers). */
var JSNA_NARROWEST_PLOT = 0.7;
/* ... and, in a wider column, no wider than this share of its width (a trend's points stay a
   readable distance apart; the words keep their size). */
var JSNA_WIDEST_PLOT = 1.5;

/* Fit a chart to the width of its column. The charts are drawn at a fixed width (Altair's
   `width=`). In a wider column a single or layered chart is laid out again to take the column's
   width (as far as JSNA_WIDEST_PLOT). In a narrower one, in turn: (1) lay the chart out again
   with a narrower plot, which keeps its words at their size, as far as JSNA_NARROWEST_PLOT;
   (2) scale the drawing down to the column (an SVG scales without loss, and the browser still
   finds the mark under the pointer for the tooltips); (3) when even that would make it smaller
   than JSNA_SMALLEST_SCALE, leave it at its drawn size, to scroll. Done again when the window's
   width changes. */
function jsnaFit(result) {
  var view = result.view;
  var box = view.container();
  if (!box || typeof view.width !== "function") return Promise.resolve();
  if (box.jsnaWidth === undefined) box.jsnaWidth = view.width();
  /* Only a single or layered chart with a width in pixels can be laid out again. */
  var spec = result.spec || {};
  var flexible = typeof spec.width === "number" && box.jsnaWidth > 0 && !(spec.hconcat || spec.vconcat || spec.concat || spec.facet || spec.repeat);
  var svg = function () { return box.querySelector("svg"); };
  var drawnWidth = function () { var s = svg(); return s ? parseFloat(s.getAttribute("width")) || s.getBoundingClientRect().width : 0; };
  var restore = view.width() !== box.jsnaWidth ? view.width(box.jsnaWidth).runAsync() : Promise.resolve(view);
  return restore.then(function () {
    var s = svg();
    if (!s) return;
    s.style.width = "";
    s.style.height = "";
    box.classList.remove("jsna-scaled", "jsna-wide");
    var column = box.clientWidth;
    var width = drawnWidth();
    if (!column) return;
    if (width <= column) {
      var wider = Math.min(Math.floor(column - (width - box.jsnaWidth)), Math.floor(box.jsnaWidth * JSNA_WIDEST_PLOT));
      return flexible && wider > box.jsnaWidth ? view.width(wider).runAsync() : undefined;
    }
    var plot = Math.max(Math.floor(column - (width - box.jsnaWidth)), Math.ceil(box.jsnaWidth * JSNA_NARROWEST_PLOT), 120);
    var relayout = flexible && plot < box.jsnaWidth ? view.width(plot).runAsync() : Promise.resolve(view);
    return relayout.then(function () {
      var drawn = drawnWidth();
      if (drawn <= column) return;
      if (column / drawn >= JSNA_SMALLEST_SCALE) {
        svg().style.width = column + "px";
        svg().style.height = "auto";
        box.classList.add("jsna-scaled");
      } else {
        if (view.width() !== box.jsnaWidth) view.width(box.jsnaWidth).runAsync();
        box.classList.add("jsna-wide");
      }
    });
  }).catch(function () { /* a chart that cannot be refitted stays as it was drawn */ });
}

var jsnaRefit = null;
window.addEventListener("resize", function () {
  window.clearTimeout(jsnaRefit);
  jsnaRefit = window.setTimeout(function () {
    jsnaCharts.forEach(jsnaFit);
    document.querySelectorAll("table.jsna-stack").forEach(jsnaFitTable);
  }, 150);
});

/* ---------------------------------------------------------------------------------------------
   Tables. A data table wider than its column (on a phone; the every-indicator grid's many places)
   is shown as blocks of labelled cells, one a row (jsna.css, table.jsna-stacked): every cell gets
   its column's heading as data-label. The table keeps its meaning for screen readers through
   explicit roles, which CSS display changes can remove.
   --------------------------------------------------------------------------------------------- */
function jsnaFitTable(table) {
  table.classList.remove("jsna-stacked");
  if (!table.getClientRects().length) return; /* not drawn: a closed data table, fitted when opened */
  var article = table.closest("article") || document.body;
  var style = window.getComputedStyle(article);
  var room = article.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  if (table.getBoundingClientRect().width > room + 1) table.classList.add("jsna-stacked");
}

function jsnaHeadingText(cell) {
  var copy = cell.cloneNode(true);
  copy.querySelectorAll("br").forEach(function (br) { br.replaceWith(" "); });
  copy.querySelectorAll("[aria-hidden='true']").forEach(function (hidden) { hidden.remove(); });
  return copy.textContent.replace(/\s+/g, " ").trim();
}

function jsnaStackable(table) {
  var head = table.tHead;
  if (!head || head.rows.length !== 1 || head.rows[0].cells.length < 3) return;
  var labels = [];
  Array.prototype.forEach.call(head.rows[0].cells, function (cell) {
    for (var i = 0; i < (cell.colSpan || 1); i++) labels.push(jsnaHeadingText(cell));
  });
  table.setAttribute("role", "table");
  Array.prototype.forEach.call(table.querySelectorAll(":scope > thead, :scope > tbody, :scope > tfoot"), function (group) { group.setAttribute("role", "rowgroup"); });
  Array.prototype.forEach.call(table.rows, function (row) {
    row.setAttribute("role", "row");
    var column = 0;
    Array.prototype.forEach.call(row.cells, function (cell) {
      var scope = cell.getAttribute("scope");
      var span = cell.colSpan || 1;
      if (cell.tagName === "TH") {
        cell.setAttribute("role", scope === "col" || row.parentElement === head ? "columnheader" : "rowheader");
      } else {
        cell.setAttribute("role", "cell");
      }
      if (row.parentElement !== head && span < labels.length && labels[column]) cell.setAttribute("data-label", labels[column]);
      column += span;
    });
  });
  table.classList.add("jsna-stack");
}

/* ---------------------------------------------------------------------------------------------
   Charts' data tables. A chart's numbers are on its page once, in its specification; its data
   table (the same numbers as text) is made when a reader opens it, from the chart's CSV file
   (the download beside it: jsna/pages/charts.py, Figure): the columns the figure names in
   data-columns, in that order, an empty cell as [x] (not available), a column of numbers to one
   number of decimal places, and without the quote the file puts before text a spreadsheet would
   read as a formula. The new table is then labelled
   and fitted like every other (jsnaStackable, jsnaFitTable). Where the file cannot be read (a
   page opened from disk), the table says so; the file's link is beside it. data-table on the details says
   how far it got: "loading", "loaded", "failed".
   --------------------------------------------------------------------------------------------- */
function jsnaCsvRows(text) {
  var rows = [], row = [], cell = "", quoted = false;
  for (var i = 0; i < text.length; i++) {
    var c = text[i];
    if (quoted) {
      if (c !== '"') cell += c;
      else if (text[i + 1] === '"') { cell += '"'; i++; }
      else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell); rows.push(row); row = []; cell = "";
    } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

function jsnaCellText(text) {
  if (text === undefined || text === "") return "[x]";
  return /^'[=+\-@\t\r]/.test(text) ? text.slice(1) : text;
}

/* A column of numbers with as many decimal places in each cell as the most any has ("20.0" beside
   "16.71" shows as 20.00), as a table of figures prints them; any other column as it is. */
function jsnaColumnText(column) {
  var numbers = column.filter(function (text) { return text !== "[x]"; });
  if (!numbers.length || !numbers.every(function (text) { return /^-?\d+(\.\d+)?$/.test(text); })) return column;
  var places = Math.max.apply(null, numbers.map(function (text) { return (text.split(".")[1] || "").length; }));
  return column.map(function (text) { return text === "[x]" ? text : Number(text).toFixed(places); });
}

function jsnaLoadTable(details) {
  if (details.dataset.table) return;
  details.dataset.table = "loading";
  var columns = JSON.parse(details.dataset.columns || "[]");
  var body = details.querySelector(".jsna-table-body");
  fetch(details.dataset.csv).then(function (response) {
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.text();
  }).then(function (text) {
    var rows = jsnaCsvRows(text.replace(/^\ufeff/, ""));
    var header = rows.shift() || [];
    var at = columns.map(function (name) { return header.indexOf(name); });
    if (at.indexOf(-1) >= 0) throw new Error("a column is missing from " + details.dataset.csv);
    var table = document.createElement("table");
    table.className = "dataframe jsna-data";
    var head = table.createTHead().insertRow();
    columns.forEach(function (name) {
      var th = document.createElement("th");
      th.textContent = jsnaCellText(name);
      head.appendChild(th);
    });
    var shown = at.map(function (i) { return jsnaColumnText(rows.map(function (row) { return jsnaCellText(row[i]); })); });
    var cells = table.createTBody();
    rows.forEach(function (row, r) {
      var tr = cells.insertRow();
      shown.forEach(function (column) { tr.insertCell().textContent = column[r]; });
    });
    body.replaceChildren(table);
    jsnaStackable(table);
    jsnaFitTable(table);
    details.dataset.table = "loaded";
  }).catch(function (error) {
    body.textContent = "The table could not be made here (" + error.message + "): the CSV file below has every number.";
    details.dataset.table = "failed";
  });
}

document.addEventListener("toggle", function (event) {
  if (event.target.open && event.target.dataset && event.target.dataset.csv) jsnaLoadTable(event.target);
}, true);

/* ---------------------------------------------------------------------------------------------
   Theme widgets: each control's accessible name must include its visible text, and each
   disclosure summary needs a name. Applied when the page loads; the widgets need JavaScript anyway.
   --------------------------------------------------------------------------------------------- */
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".search-button-field[aria-label]").forEach(function (button) {
    button.removeAttribute("aria-label"); /* its name is then its visible text: "Search Ctrl+K" */
  });
  document.querySelectorAll(".theme-switch-button[aria-label]").forEach(function (button) {
    /* The name comes from hidden text instead of aria-label, the icons are hidden from it. */
    button.querySelectorAll("i").forEach(function (icon) { icon.setAttribute("aria-hidden", "true"); icon.removeAttribute("title"); });
    var words = document.createElement("span");
    words.className = "visually-hidden";
    words.textContent = button.getAttribute("aria-label");
    button.appendChild(words);
    button.removeAttribute("aria-label");
  });
  /* The themes (pydata-sphinx-theme, sphinx-book-theme) give only the first sidebar button of each
     kind its click handler: the navigation bar's, which this layout hides. The buttons a reader
     sees, in the article's header, did nothing: on a phone the navigation could not be opened.
     They now press the first. */
  ["primary-toggle", "secondary-toggle"].forEach(function (kind) {
    var buttons = document.querySelectorAll("." + kind);
    Array.prototype.slice.call(buttons, 1).forEach(function (button) {
      button.addEventListener("click", function (event) { event.preventDefault(); buttons[0].click(); });
    });
  });
  document.querySelectorAll("li.has-children > details > summary").forEach(function (summary) {
    if (!summary.textContent.trim() && !summary.getAttribute("aria-label")) {
      var link = summary.parentElement.parentElement.querySelector(":scope > a");
      summary.setAttribute("aria-label", "Pages under " + (link ? link.textContent.trim() : "this section"));
    }
  });
  document.querySelectorAll("article table.jsna-data").forEach(jsnaStackable);
  document.querySelectorAll("table.jsna-stack").forEach(jsnaFitTable);
});
window.addEventListener("load", function () { document.querySelectorAll("table.jsna-stack").forEach(jsnaFitTable); });
/* Tables a page's own script draws or redraws later (the explorer) are labelled and fitted too. */
var jsnaChanged = new Set();
var jsnaRedrawn = new MutationObserver(function (mutations) {
  mutations.forEach(function (mutation) {
    var target = mutation.target.nodeType === 1 ? mutation.target : mutation.target.parentElement;
    var table = target && target.closest("article table.jsna-data");
    if (table) jsnaChanged.add(table);
    mutation.addedNodes.forEach(function (node) {
      if (node.nodeType === 1) node.querySelectorAll("table.jsna-data").forEach(function (t) { if (t.closest("article")) jsnaChanged.add(t); });
    });
  });
  if (jsnaChanged.size) window.requestAnimationFrame(function () {
    var tables = Array.from(jsnaChanged);
    jsnaChanged.clear();
    tables.forEach(function (t) { if (t.isConnected) { jsnaStackable(t); jsnaFitTable(t); } });
  });
});
document.addEventListener("DOMContentLoaded", function () { jsnaRedrawn.observe(document.body, { childList: true, subtree: true }); });
document.addEventListener("toggle", function (event) {
  if (event.target.open) event.target.querySelectorAll("table.jsna-stack").forEach(jsnaFitTable);
}, true);
