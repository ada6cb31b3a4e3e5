/* The indicator explorer (chapters/explore.md), loaded by that page only.

   The reader chooses an indicator, a kind of place, a period, a sex and a place with native
   <select> controls; a map (for kinds with shapes), a ranked bar chart with 95% intervals, a
   trend for the chosen place and a table of the same numbers are drawn from the JSON files the
   build writes once (jsna/book/explore.py): _static/explore/index.json, then one
   _static/explore/<indicator>.json per indicator chosen. Charts are drawn with the vendored
   vega-embed; every URL is relative to the page, so no request leaves the site.

   The choice is kept in the address (#indicator=...&kind=...&period=...&sex=...&place=...) so
   that a view can be shared; a missing or unknown part falls back to the chapters' default.
   The table is the accessible view; each chart is one image named by a description, and a
   live region says what is shown after every change. A withheld value ([c]) is shown as [c]
   in the table and is not drawn. No framework, no build step.

   Jupyter Book lists every .js file under _static/ in every page's head, so this file may run
   on any page, and twice on this one (that copy and the page's own deferred tag): it starts
   once, when the page is parsed, and only where the page has the explorer. */
(function () {
  "use strict";
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  function start() {
    var root = document.getElementById("jsna-explorer");
    if (!root || root.getAttribute("data-started")) return;
    root.setAttribute("data-started", "true");
    var source = root.getAttribute("data-src") || "_static/explore/";
    var $ = function (id) { return document.getElementById(id); };
    var select = { indicator: $("jsna-x-indicator"), kind: $("jsna-x-kind"), period: $("jsna-x-period"), sex: $("jsna-x-sex"), place: $("jsna-x-place") };
    var NO_FIGURE = "No figure";
    var PLACE_COLOUR = "#1f5f8b";
    var FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
    var CONFIG = { font: FONT, view: { stroke: null }, axis: { labelFontSize: 12, titleFontSize: 12, labelColor: "#222", titleColor: "#222" },
                   legend: { labelFontSize: 12, titleFontSize: 12, orient: "bottom" }, title: { fontSize: 15, anchor: "start", color: "#111" } };

    var index = null;           /* index.json */
    var data = null;            /* the chosen indicator's file */
    var loaded = {};            /* file name -> promise of its JSON */
    var views = {};             /* chart id -> vega-embed result, finalized before redrawing */
    var state = {};             /* the current choice */
    var wish = {};              /* the kind, period and sex the reader chose: kept for the next indicator that has them */
    var drawing = 0;            /* increases with each choice: a late answer to an earlier one is dropped */

    function getJSON(url) {
      if (!loaded[url]) {
        loaded[url] = fetch(url).then(function (response) {
          if (!response.ok) throw new Error(url + ": " + response.status + " " + response.statusText);
          return response.json();
        });
        loaded[url].catch(function () { delete loaded[url]; }); /* try again next time */
      }
      return loaded[url];
    }

    /* -- Words and numbers ------------------------------------------------------------------ */
    function formatted(value, digits) {
      if (value === null || value === undefined || !isFinite(value)) return null;
      return Number(value).toLocaleString("en-GB", { minimumFractionDigits: digits, maximumFractionDigits: digits });
    }
    function comparisonKey(label) {        /* "Better 99.8%" -> "Better"; as jsna.pages.charts.comparison_key */
      var key = String(label || "").split(" ")[0];
      return index.comparisons[key] && key !== "Not" ? key : "Not compared";
    }
    function withheld(row) { return row.note.indexOf("[c]") === 0; }
    function shown(row, digits) {           /* "78.2 (76.1 to 80.3)", "[c]" or "[x]" */
      if (row.value === null) return withheld(row) ? "[c]" : "[x]";
      var limits = row.lower === null ? "" : " (" + formatted(row.lower, digits) + " to " + formatted(row.upper, digits) + ")";
      return formatted(row.value, digits) + limits;
    }
    function wrapped(text, width) {         /* lines of at most width characters, for a chart's subtitle */
      var lines = [""];
      text.split(" ").forEach(function (word) {
        var last = lines[lines.length - 1];
        if (last && last.length + word.length + 1 > width) lines.push(word); else lines[lines.length - 1] = last ? last + " " + word : word;
      });
      return lines;
    }
    function periodsOf(entry, kind) {       /* the kind's periods: listed when it has not every one of the indicator's */
      return entry.kinds[kind].periods || entry.periods;
    }
    function titled(id, text, subtitle) { /* a chart title wrapped to the chart's width, never clipped */
      var width = Math.max(28, Math.floor(($(id).clientWidth || 600) / 9.5));
      return { text: wrapped(text, width), subtitle: subtitle ? wrapped(subtitle, Math.floor(width * 1.25)) : undefined };
    }
    function kindOf(id) { return index.kinds.filter(function (k) { return k.id === id; })[0]; }
    function entryOf(id) { return index.indicators.filter(function (e) { return e.id === id; })[0]; }
    function subject() { var e = entryOf(state.indicator); return e.title + (state.sex === "Persons" ? "" : ", " + state.sex.toLowerCase()); }

    /* -- The indicator's rows ----------------------------------------------------------------- */
    function rowsOf(doc) {
      var f = {};
      doc.fields.forEach(function (name, i) { f[name] = i; });
      var words = doc.values || {};
      return doc.rows.map(function (coded) {
        var r = coded.map(function (v, i) { var list = words[doc.fields[i]]; return list ? list[v] : v; });  /* coded words back to words */
        var comparators = doc.comparators && doc.comparators[r[f.period]] ? doc.comparators[r[f.period]][r[f.sex]] || [null, null] : [null, null];
        return {
          code: r[f.area_code], name: (doc.areas[r[f.area_code]] || [r[f.area_code]])[0], kind: (doc.areas[r[f.area_code]] || [])[1],
          period: r[f.period], sex: r[f.sex], value: r[f.value], lower: r[f.lower_95_0], upper: r[f.upper_95_0], count: r[f.count],
          authority: f.authority_value !== undefined ? r[f.authority_value] : comparators[0],
          england: f.england_value !== undefined ? r[f.england_value] : comparators[1],
          versusAuthority: r[f.compared_to_authority] || "Not compared", versusEngland: r[f.compared_to_england] || "Not compared",
          note: r[f.note] || "", statistic: r[f.statistic] || ""
        };
      });
    }
    function current() {                    /* this period's rows for the kind and sex, highest first, no figure last */
      return data.table.filter(function (r) { return r.kind === state.kind && r.period === state.period && r.sex === state.sex; })
        .sort(function (a, b) {
          if (a.value === null || b.value === null) return (a.value === null) - (b.value === null) || a.name.localeCompare(b.name);
          return b.value - a.value || a.name.localeCompare(b.name);
        });
    }
    function trend() {                      /* the chosen place's periods of the same length as the chosen period, oldest first */
      var periods = index.periods, years = (periods[state.period] || [])[0];
      return data.table.filter(function (r) { return r.code === state.place && r.sex === state.sex && (periods[r.period] || [])[0] === years; })
        .sort(function (a, b) { return periods[a.period][1] - periods[b.period][1]; });
    }

    /* -- Controls and the address -------------------------------------------------------------- */
    function options(element, items, chosen) {  /* items: [value, words, group?] */
      element.textContent = "";
      var groups = {};
      items.forEach(function (item) {
        var option = document.createElement("option");
        option.value = item[0];
        option.textContent = item[1];
        var parent = element;
        if (item[2]) {
          if (!groups[item[2]]) { groups[item[2]] = document.createElement("optgroup"); groups[item[2]].label = item[2]; element.appendChild(groups[item[2]]); }
          parent = groups[item[2]];
        }
        parent.appendChild(option);
      });
      element.value = chosen;
      element.disabled = items.length === 0;
    }
    function fromAddress() {
      var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
      var out = {};
      ["indicator", "kind", "period", "sex", "place"].forEach(function (k) { if (params.get(k)) out[k] = params.get(k); });
      return out;
    }
    function toAddress() {
      var params = new URLSearchParams();
      ["indicator", "kind", "period", "sex", "place"].forEach(function (k) { if (state[k]) params.set(k, state[k]); });
      var hash = "#" + params.toString();
      if (window.location.hash !== hash) history.replaceState(null, "", hash);
    }
    /* The choice made whole: each part kept if the indicator has it, else the chapters' default. */
    function settle(wanted) {
      var entry = entryOf(wanted.indicator) || entryOf(index.first) || index.indicators[0];
      var kinds = index.kinds.filter(function (k) { return entry.kinds[k.id]; });
      var preferred = kinds.filter(function (k) { return k.shapes; })[0] || kinds.filter(function (k) { return !k.authority; })[0] || kinds[0];
      var kind = entry.kinds[wanted.kind] ? wanted.kind : preferred.id;
      var there = entry.kinds[kind];
      var period = periodsOf(entry, kind).indexOf(wanted.period) >= 0 ? wanted.period : there.period;
      var sex = there.sexes.indexOf(wanted.sex) >= 0 ? wanted.sex : there.sexes[0];
      return { indicator: entry.id, kind: kind, period: period, sex: sex, place: wanted.place };
    }
    function fillControls() {
      var entry = entryOf(state.indicator), there = entry.kinds[state.kind];
      if (select.indicator.disabled) {   /* once: the list never changes, and is left alone while a reader moves through it */
        options(select.indicator, index.indicators.map(function (e) {
          var chapter = e.chapter.replace(/_/g, " ");
          return [e.id, e.title, chapter.charAt(0).toUpperCase() + chapter.slice(1)];
        }), state.indicator);
      }
      select.indicator.value = state.indicator;
      options(select.kind, index.kinds.filter(function (k) { return entry.kinds[k.id]; }).map(function (k) {
        var n = entry.kinds[k.id].places;
        return [k.id, k.authority ? index.authority.name : k.plural.charAt(0).toUpperCase() + k.plural.slice(1) + " (" + n + ")"];
      }), state.kind);
      var periods = periodsOf(entry, state.kind).slice().sort(function (a, b) {   /* single years first, each window latest first */
        return index.periods[a][0] - index.periods[b][0] || index.periods[b][1] - index.periods[a][1];
      });
      options(select.period, periods.map(function (p) {
        var years = index.periods[p][0];
        return [p, p, years === 1 ? "Single years" : years + " years pooled"];
      }), state.period);
      options(select.sex, there.sexes.map(function (s) { return [s, s]; }), state.sex);
      var places = {};
      data.table.forEach(function (r) { if (r.kind === state.kind) places[r.code] = r.name; });
      var codes = Object.keys(places).sort(function (a, b) { return places[a].localeCompare(places[b]) || (a < b ? -1 : 1); });
      if (codes.indexOf(state.place) < 0) state.place = codes[0];
      options(select.place, codes.map(function (c) { return [c, places[c]]; }), state.place);
    }

    /* -- Drawing --------------------------------------------------------------------------------- */
    var embedded = 0;           /* numbers each drawing, so that a drawing overtaken by a later one is dropped */
    function embed(id, spec, label) {
      var element = $(id), mine = ++embedded;
      element.setAttribute("aria-label", label);
      element.jsnaDrawing = mine;
      if (views[id]) { views[id].finalize(); delete views[id]; }
      element.textContent = "";
      if (!spec) return Promise.resolve(null);
      spec.config = CONFIG;
      spec.description = label;            /* Vega names its container with the description: without one, "Vega visualization" */
      if (spec.width === "container") spec.autosize = { type: "fit-x", contains: "padding" };
      var box = document.createElement("div");  /* each drawing in a box of its own: a late one is removed whole */
      element.appendChild(box);
      return vegaEmbed(box, spec, { mode: "vega-lite", renderer: "svg", actions: false }).then(function (result) {
        if (element.jsnaDrawing !== mine) { result.finalize(); box.remove(); return null; }
        views[id] = result;
        /* One image named by its description (as jsnaDescribed does for the chapters' charts): the table has the numbers. */
        element.setAttribute("role", "img");
        element.setAttribute("aria-label", label);
        element.querySelectorAll("svg").forEach(function (svg) { svg.setAttribute("aria-hidden", "true"); });
        result.view.addEventListener("click", function (event, item) {
          var code = item && item.datum && (item.datum.code || (item.datum.properties && item.datum.properties.code));
          if (code && code !== state.place) choose({ place: code });
        });
        return result;
      });
    }
    function colourScale(rows, field) {
      var present = {};
      rows.forEach(function (r) { present[r[field]] = true; });
      var domain = Object.keys(index.comparisons).filter(function (k) { return present[k]; });
      var range = domain.map(function (k) { return index.comparisons[k][0]; });
      if (present[NO_FIGURE]) { domain.push(NO_FIGURE); range.push("#ffffff"); }
      return { domain: domain, range: range };
    }
    function counted(rows) {               /* "3 better, 18 similar and 3 worse" */
      var n = {};
      rows.forEach(function (r) { n[r.comparison] = (n[r.comparison] || 0) + 1; });
      var parts = Object.keys(n).map(function (k) { return n[k] + " " + k.toLowerCase(); });
      return parts.length > 1 ? parts.slice(0, -1).join(", ") + " and " + parts[parts.length - 1] : parts.join("");
    }

    function mapSpec(kind, rows, digits) {
      var byCode = {};
      rows.forEach(function (r) { byCode[r.code] = r; });
      return getJSON(kind.shapes).then(function (shapes) {
        var features = shapes.features.map(function (f) {
          var r = byCode[f.properties.area_code];
          return { type: "Feature", geometry: f.geometry, properties: {
            code: f.properties.area_code, name: r ? r.name : f.properties.area_code, shown: r ? shown(r, digits) : "[x]",
            comparison: r && r.value !== null ? r.comparison : NO_FIGURE, chosen: f.properties.area_code === state.place } };
        });
        var points = rows.filter(function (r) { return kind.points[r.code]; }).map(function (r) {
          return { code: r.code, longitude: kind.points[r.code][0], latitude: kind.points[r.code][1],
                   glyph: r.value === null ? (withheld(r) ? "[c]" : "[x]") : (index.comparisons[r.comparison] || ["", ""])[1] };
        });
        var scale = colourScale(features.map(function (f) { return f.properties; }), "comparison");
        return {
          width: "container", height: 380,
          title: Object.assign(titled("jsna-x-map", subject() + ", " + state.period, kind.attribution || ""), { subtitleFontSize: 10 }),
          projection: { type: "transverseMercator", rotate: [2, 0, 0] },
          layer: [
            { data: { values: features }, mark: { type: "geoshape", strokeWidth: 1 },
              encoding: {
                color: { field: "properties.comparison", type: "nominal", title: "Compared with " + index.authority.name, scale: scale, legend: { columns: 3 } },
                stroke: { condition: { test: "datum.properties.chosen", value: "#000000" }, value: "#9e9e9e" },
                strokeWidth: { condition: { test: "datum.properties.chosen", value: 3 }, value: 1 },
                tooltip: [{ field: "properties.name", title: kind.singular.charAt(0).toUpperCase() + kind.singular.slice(1) },
                          { field: "properties.shown", title: state.period + " (95% interval)" },
                          { field: "properties.comparison", title: "Compared with " + index.authority.name }] } },
            { data: { values: points }, mark: { type: "text", fontSize: 11, color: "#000000" },
              encoding: { longitude: { field: "longitude", type: "quantitative" }, latitude: { field: "latitude", type: "quantitative" },
                          text: { field: "glyph", type: "nominal" } } }
          ]
        };
      });
    }

    function barsSpec(kind, rows, digits, place) {
      var drawn = rows.filter(function (r) { return r.value !== null; });
      if (!drawn.length) return null;
      var names = {};
      rows.forEach(function (r) { names[r.name] = (names[r.name] || 0) + 1; });
      var values = drawn.map(function (r) {
        return { code: r.code, label: names[r.name] > 1 ? r.name + " (" + r.code + ")" : r.name, value: r.value, lower: r.lower, upper: r.upper,
                 comparison: r.comparison, glyph: (index.comparisons[r.comparison] || ["", ""])[1], shown: shown(r, digits), chosen: r.code === state.place };
      });
      var order = values.map(function (v) { return v.label; });
      var lines = [], entry = entryOf(state.indicator);
      if (entry.total) place = { authority: null, england: null };  /* a count (people) is not compared with a bigger place's */
      if (place.authority !== null && !kind.authority) lines.push({ value: place.authority, label: index.authority.name + " " + formatted(place.authority, digits) });
      if (place.england !== null) lines.push({ value: place.england, label: index.country + " " + formatted(place.england, digits) });
      var y = { field: "label", type: "nominal", sort: order, title: null, axis: { labelLimit: Math.min(260, Math.floor(($("jsna-x-bars").clientWidth || 600) * 0.42)) } };
      var layers = [
        { mark: { type: "bar", height: 14 },
          encoding: { y: y, x: { field: "value", type: "quantitative", title: entryOf(state.indicator).unit },
                      color: { field: "comparison", type: "nominal", title: "Compared with " + index.authority.name, scale: colourScale(values, "comparison") },
                      stroke: { condition: { test: "datum.chosen", value: "#000000" }, value: null },
                      strokeWidth: { condition: { test: "datum.chosen", value: 2.5 }, value: 0 },
                      tooltip: [{ field: "label", title: kind.singular.charAt(0).toUpperCase() + kind.singular.slice(1) }, { field: "shown", title: state.period + " (95% interval)" },
                                { field: "comparison", title: "Compared with " + index.authority.name }] } },
        { mark: { type: "text", align: "left", dx: 4, fontSize: 11 }, transform: [{ calculate: "isValid(datum.upper) ? datum.upper : datum.value", as: "end" }],
          encoding: { y: y, x: { field: "end", type: "quantitative" }, text: { field: "glyph" } } }
      ];
      if (values.some(function (v) { return v.lower !== null && v.upper !== null; })) {
        layers.splice(1, 0, { mark: { type: "rule", color: "#000000" }, transform: [{ filter: "isValid(datum.lower) && isValid(datum.upper)" }],
                              encoding: { y: y, x: { field: "lower", type: "quantitative" }, x2: { field: "upper" } } });
      }
      var right = Math.max.apply(null, values.map(function (v) { return v.upper !== null ? v.upper : v.value; }).concat(lines.map(function (l) { return l.value; })));
      lines.forEach(function (line, i) {   /* labelled reference lines, labels stacked above the plot, as the chapters' charts */
        var left = line.value > right * 0.6;  /* near the right edge: the label to the left of its line */
        layers.push({ data: { values: [line] }, mark: { type: "rule", strokeDash: i ? [2, 2] : [5, 3], color: "#000000", strokeWidth: 1.5 },
                      encoding: { x: { field: "value", type: "quantitative" } } });
        layers.push({ data: { values: [line] }, mark: { type: "text", align: left ? "right" : "left", dx: left ? -4 : 4, dy: -6 - 15 * i, baseline: "bottom", fontSize: 11, fontWeight: "bold" },
                      encoding: { x: { field: "value", type: "quantitative" }, y: { value: 0 }, text: { field: "label" } } });
      });
      return { data: { values: values }, width: "container", height: 18 * values.length, layer: layers,
               title: titled("jsna-x-bars", subject() + ", " + state.period, "Highest first; black lines: 95% confidence intervals") };
    }

    function trendSpec(rows, digits, name) {
      var points = [];
      var authorityName = index.authority.name, own = state.place === index.authority.code, total = entryOf(state.indicator).total;
      rows.forEach(function (r) {
        var end = index.periods[r.period][1];
        if (r.value !== null) points.push({ period: r.period, end: end, series: name, value: r.value, lower: r.lower, upper: r.upper, shown: shown(r, digits) });
        if (total) return;                 /* a count (people) is not compared with a bigger place's */
        if (r.authority !== null && !own) points.push({ period: r.period, end: end, series: authorityName, value: r.authority, shown: formatted(r.authority, digits) });
        if (r.england !== null) points.push({ period: r.period, end: end, series: index.country, value: r.england, shown: formatted(r.england, digits) });
      });
      if (!points.length) return null;
      var order = rows.map(function (r) { return r.period; });
      var styles = [[name, PLACE_COLOUR, [1, 0], "circle"], [authorityName, "#000000", [6, 3], "diamond"], [index.country, "#6b6b6b", [2, 2], "square"]]
        .filter(function (s) { return points.some(function (p) { return p.series === s[0]; }); });  /* only the lines drawn */
      var series = styles.map(function (s) { return s[0]; });
      var scale = function (i) { return { domain: series, range: styles.map(function (s) { return s[i]; }) }; };
      var x = { field: "period", type: "ordinal", sort: order, title: null, axis: { labelAngle: order.length > 6 ? -40 : 0 } };
      return {
        data: { values: points }, width: "container", height: 260,
        title: titled("jsna-x-trend", subject() + ": " + name, "Each period's value with its 95% confidence interval"),
        layer: (points.some(function (p) { return isFinite(p.lower) && isFinite(p.upper) && p.lower !== null && p.upper !== null; }) ? [
          { transform: [{ filter: "isValid(datum.lower) && isValid(datum.upper)" }], mark: { type: "rule", color: PLACE_COLOUR },
            encoding: { x: x, y: { field: "lower", type: "quantitative" }, y2: { field: "upper" } } }] : []).concat([
          { mark: { type: "line", point: { filled: true, size: 40 } },
            encoding: { x: x, y: { field: "value", type: "quantitative", title: entryOf(state.indicator).unit, scale: { zero: false } },
                        color: { field: "series", type: "nominal", title: null, scale: scale(1) },
                        strokeDash: { field: "series", type: "nominal", title: null, scale: scale(2) },
                        shape: { field: "series", type: "nominal", title: null, scale: scale(3) },
                        tooltip: [{ field: "series", title: "Place" }, { field: "period", title: "Period" }, { field: "shown", title: "Value (95% interval)" }] } }
        ])
      };
    }

    /* -- The table (the accessible view) ---------------------------------------------------------- */
    function cell(row, text, header) {
      var c = document.createElement(header ? "th" : "td");
      if (header) c.scope = "row";
      if (text && text.nodeType) c.appendChild(text); else c.textContent = text === null || text === undefined ? "" : text;
      row.appendChild(c);
      return c;
    }
    function badge(label) {
      var key = comparisonKey(label), span = document.createElement("span");
      span.className = "jsna-badge " + key.toLowerCase().replace(/ /g, "-");
      span.textContent = ((index.comparisons[key] || [])[1] || "■") + " " + label;
      return span;
    }
    function table(container, caption, headings, rows) {  /* rows: arrays of cells; a cell is text or a node; the first is the row's header */
      var t = document.createElement("table");
      t.className = "jsna-data jsna-spine";
      t.createCaption().textContent = caption;
      var head = t.createTHead().insertRow();
      headings.forEach(function (h) { var th = document.createElement("th"); th.scope = "col"; th.textContent = h; head.appendChild(th); });
      var body = t.createTBody();
      rows.forEach(function (cells) {
        var tr = body.insertRow();
        if (cells.chosen) { tr.style.fontWeight = "700"; tr.style.background = "#eef4f8"; }
        cells.forEach(function (value, i) { cell(tr, value, i === 0); });
      });
      container.textContent = "";
      container.appendChild(t);
      if (typeof window.jsnaStackable === "function") window.jsnaStackable(t);  /* a block per row on a phone, as the chapters' tables */
      return t;
    }
    function number(value, row, digits) { return value === null ? (withheld(row) ? "[c]" : "[x]") : formatted(value, digits); }
    function csv(headings, rows) {          /* as jsna.store.csv_safe: a cell a spreadsheet would run gets a leading ' */
      var line = function (cells) {
        return cells.map(function (c) {
          var text = c && c.nodeType ? c.textContent : String(c === null || c === undefined ? "" : c);
          if (/^[=+\-@\t\r]/.test(text) && !/^[+-]?[\d,]*\.?\d+$/.test(text)) text = "'" + text;
          return /[",\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
        }).join(",");
      };
      return [line(headings)].concat(rows.map(line)).join("\n") + "\n";
    }

    /* -- One view ---------------------------------------------------------------------------------- */
    function draw() {
      var entry = entryOf(state.indicator), kind = kindOf(state.kind);
      var digits = entry.decimals, tableDigits = entry.decimals === 0 ? 0 : 2;
      var rows = current().map(function (r) { r.comparison = comparisonKey(r.versusAuthority); return r; });
      var here = rows.filter(function (r) { return r.code === state.place; })[0] || data.table.filter(function (r) { return r.code === state.place; })[0];
      var placeName = here ? here.name : state.place;
      var reference = rows.filter(function (r) { return r.authority !== null || r.england !== null; })[0] || { authority: null, england: null };
      var published = rows.filter(function (r) { return r.value !== null; });
      var held = rows.filter(withheld).length;
      var words = (kind.authority ? index.authority.name : rows.length + " " + (rows.length === 1 ? kind.singular : kind.plural));
      var what = subject() + ", " + state.period + ", " + words;
      toAddress();

      /* The table first: it is the view every reader gets, whatever happens to the charts. */
      var authorityHeading = "Compared with " + index.authority.name, englandHeading = "Compared with " + index.country;
      var noted = rows.some(function (r) { return r.statistic; });  /* why there is no figure ([x]); a [c]'s reason is a footnote */
      var headings = [kind.singular.charAt(0).toUpperCase() + kind.singular.slice(1), "Value", "Lower 95% limit", "Upper 95% limit", "Count",
                      authorityHeading, englandHeading].concat(noted ? ["Note"] : []);
      var cells = rows.map(function (r) {
        var c = [r.name, number(r.value, r, tableDigits), number(r.lower, r, tableDigits), number(r.upper, r, tableDigits), number(r.count, r, 0),
                 badge(r.versusAuthority), badge(r.versusEngland)].concat(noted ? [r.statistic] : []);
        c.chosen = r.code === state.place;
        return c;
      });
      table($("jsna-x-table"), what + " (highest first)", headings, cells);
      var link = $("jsna-x-download");
      link.href = "data:text/csv;charset=utf-8," + encodeURIComponent(csv(headings, cells));
      link.download = "explore-" + state.indicator + "-" + state.kind + "-" + state.period.replace(/[^0-9A-Za-z]+/g, "-") + "-" + state.sex.toLowerCase() + ".csv";

      var series = trend();
      var trendNoted = series.some(function (r) { return r.statistic; });
      var trendRows = series.map(function (r) {
        var c = [r.period, number(r.value, r, tableDigits), number(r.lower, r, tableDigits), number(r.upper, r, tableDigits),
                 formatted(r.authority, tableDigits) || "[x]", formatted(r.england, tableDigits) || "[x]"].concat(trendNoted ? [r.statistic] : []);
        c.chosen = r.period === state.period;
        return c;
      });
      table($("jsna-x-trend-table"), subject() + ": " + placeName + ", every period", ["Period", placeName, "Lower 95% limit", "Upper 95% limit",
            index.authority.name, index.country].concat(trendNoted ? ["Note"] : []), trendRows);
      /* The footnotes, as the chapters' tables have them (jsna.pages.html.footnotes): [c] with the store's reasons, [x]. */
      var shownRows = rows.concat(series), reasons = {}, notes = [];
      shownRows.forEach(function (r) { if (withheld(r)) reasons[r.note.slice(3).trim()] = true; });
      if (Object.keys(reasons).length) {
        notes.push("[c] confidential: not published because it is based on a small number of events." +
                   Object.keys(reasons).sort().map(function (why) { return why ? " (" + why + ")" : ""; }).join(""));
      }
      var missing = shownRows.some(function (r) { return (r.value === null && !withheld(r)) || r.england === null || (r.authority === null && !kind.authority); });
      if (missing) notes.push("[x] not available: no figure for this place, period or comparator.");
      $("jsna-x-notes").textContent = notes.join(" ");

      var highest = published[0], lowest = published[published.length - 1];
      var summary = published.length ? (published.length > 1 ? " Highest " + highest.name + " (" + formatted(highest.value, digits) + "), lowest " +
          lowest.name + " (" + formatted(lowest.value, digits) + ")." : " " + highest.name + ": " + formatted(highest.value, digits) + ".") : " No figure is published.";
      var status = "Showing " + what + (held ? ", " + held + " withheld" : "") + "." + summary + " Trend: " + placeName + ".";
      $("jsna-x-status").textContent = status;

      var mapSection = $("jsna-x-map-section");
      mapSection.hidden = !kind.shapes;
      $("jsna-x-map-note").textContent = kind.shapes ? (kind.attribution || "") : "";
      var token = drawing;
      var charts = [];
      if (kind.shapes) {
        charts.push(mapSpec(kind, rows, digits).then(function (spec) {
          if (token !== drawing) return null;
          return embed("jsna-x-map", spec, "Map of the " + words + ", each shaded and marked by how " + subject().toLowerCase() + " in " + state.period +
            " compares with " + index.authority.name + ": " + counted(rows.map(function (r) { return { comparison: r.value === null ? NO_FIGURE : r.comparison }; })) +
            ". The table below gives every value.");
        }));
      } else {
        embed("jsna-x-map", null, "No map for this kind of place");
      }
      charts.push(embed("jsna-x-bars", barsSpec(kind, rows, digits, reference), published.length ?
        "Bar chart of " + what + ", highest first, with 95% confidence intervals. Compared with " + index.authority.name + ": " + counted(published) + "." + summary +
        " The table below gives every value." : "No figure to draw: " + what + "."));
      var also = entry.total ? [] : [[index.authority.name, "authority"], [index.country, "england"]].filter(function (c) {
        return (c[1] !== "authority" || state.place !== index.authority.code) && series.some(function (r) { return r[c[1]] !== null; });
      }).map(function (c) { return c[0]; });
      charts.push(embed("jsna-x-trend", trendSpec(series, digits, placeName), series.length ? "Line chart of " + subject() + " for " + placeName + " from " +
        series[0].period + " to " + series[series.length - 1].period + (also.length ? ", with " + also.join(" and ") : "") +
        ". The table below gives every value." : "No trend to draw for " + placeName + "."));
      ["jsna-x-bars", "jsna-x-trend"].forEach(function (id, i) {
        if (!$(id).childNodes.length && !(i === 0 ? published.length : series.length)) $(id).textContent = "No figure to draw.";
      });
      return Promise.all(charts).then(function () { root.setAttribute("data-drawn", String(token)); });
    }

    /* -- Choosing ------------------------------------------------------------------------------------ */
    function failed(error) {
      $("jsna-x-status").textContent = "The figures could not be loaded (" + (error && error.message ? error.message : error) +
        "). They are also in the indicators download (CSV).";
    }
    function choose(change) {
      ["kind", "period", "sex"].forEach(function (k) { if (change[k]) wish[k] = change[k]; });
      var wanted = Object.assign({}, state, wish, change);
      var next = settle(wanted);
      if (!wish.kind) wish.kind = next.kind;   /* the first view's kind counts as chosen */
      drawing += 1;
      var token = drawing;
      var entry = entryOf(next.indicator);
      return getJSON(source + entry.file).then(function (doc) {
        if (token !== drawing) return null;
        if (!doc.table) doc.table = rowsOf(doc);
        data = doc;
        state = next;
        fillControls();
        return draw();
      }).catch(failed);
    }

    Object.keys(select).forEach(function (name) {
      select[name].addEventListener("change", function () {
        var change = {};
        change[name] = select[name].value;
        choose(change);
      });
    });
    window.addEventListener("hashchange", function () { if (index) choose(fromAddress()); });

    if (typeof window.vegaEmbed !== "function" || !window.fetch) {
      $("jsna-x-status").textContent = "This browser cannot draw the explorer. Its figures are in the indicators download (CSV).";
      return;
    }
    getJSON(source + "index.json").then(function (found) {
      index = found;
      if (!index.indicators.length) throw new Error("no indicator has figures");
      state = fromAddress();
      return choose({});
    }).catch(failed);
  }
})();
