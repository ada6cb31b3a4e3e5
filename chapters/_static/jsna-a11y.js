/* Accessibility for the book's charts and for three widgets of the stock Jupyter Book theme
   (pydata-sphinx-theme), as axe-core checks them (tests/test_accessibility.py). */

/* A drawn chart is one image named by its alt text (the data table beside it has the numbers):
   Vega's own SVG roles would otherwise expose every mark group, often without a name. */
function jsnaDescribed(result) {
  var container = result.view.container();
  container.setAttribute("role", "img");
  container.querySelectorAll("svg").forEach(function (svg) { svg.setAttribute("aria-hidden", "true"); });
  return result;
}

/* Theme widgets: each control's accessible name must include its visible text, and each
   disclosure summary needs a name. Applied when the page loads; the widgets need JavaScript anyway. */
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
  document.querySelectorAll("li.has-children > details > summary").forEach(function (summary) {
    if (!summary.textContent.trim() && !summary.getAttribute("aria-label")) {
      var link = summary.parentElement.parentElement.querySelector(":scope > a");
      summary.setAttribute("aria-label", "Pages under " + (link ? link.textContent.trim() : "this section"));
    }
  });
});
