// ipywidgets' HTML manager (embed-amd.js) typesets widget text with the MathJax 2 call
// MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]); the book loads MathJax 3, which has no
// Hub. This forwards that call to MathJax 3's typesetPromise. Loaded (deferred) after MathJax.
(function () {
  "use strict";
  var mj = window.MathJax;
  if (!mj || mj.Hub || typeof mj.typesetPromise !== "function") {
    return;
  }
  mj.Hub = {
    Queue: function (call) {
      var element = Array.isArray(call) ? call[2] : undefined;
      return mj.startup.promise.then(function () {
        return mj.typesetPromise(element ? [element] : undefined);
      });
    },
  };
})();
