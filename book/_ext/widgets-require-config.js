// Tell require.js where the widget front-ends live, so that the ipywidgets HTML manager
// (embed-amd.js) loads them from this book's _static/ and never from its CDN fallback:
// `anywidget` -> _static/anywidget/index.js (anywidget's npm build, an AMD module). Also map the
// manager's own module to _static/html-manager/: its bundle finds its fonts next to the address
// require.js gives that module, which is otherwise <page folder>/@jupyter-widgets/html-manager/
// dist/, where nothing is (the page logged ERR_FILE_NOT_FOUND for three font files). Loaded after require.js and before embed-amd.js
// (nb_ipywidgets_js in _config.yml); the paths come from this script's own address, so they hold
// for pages at any depth, from disk or from a server.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) {
    return;
  }
  var base = script.src.replace(/[^/]*$/, "");
  if (typeof window.requirejs === "undefined") {
    return;
  }
  window.requirejs.config({
    paths: {
      anywidget: base + "anywidget/index",
      "@jupyter-widgets/html-manager/dist": base + "html-manager",
    },
  });
})();
