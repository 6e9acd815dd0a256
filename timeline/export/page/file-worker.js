/* MapLibre, inside plotly.js, starts its worker as an ES module (a blob that imports the blob
   of the worker's code). Chromium refuses module workers to a page opened from a file, and
   the map then never draws. The worker's code is a module only by its last line (an export
   list; no static import), so on a file:// page it is started as a classic worker: its code
   read back from the blob (synchronously: a blob of this page, no network), that line taken
   off. Runs before plotly.js; anything unexpected leaves the worker as MapLibre asked. */
(function () {
  'use strict';
  if (location.protocol !== 'file:' || !window.Worker) return;
  const NativeWorker = window.Worker;
  function read(url) {
    const xhr = new XMLHttpRequest();
    xhr.open('GET', url, false);
    xhr.send();
    return xhr.responseText;
  }
  function classic(url) {
    let code = read(url);
    const wrapper = /^import ("blob:[^"]*");?$/.exec(code.trim());
    if (wrapper) code = read(JSON.parse(wrapper[1]));
    if (/^\s*import[\s{*"']/m.test(code)) return null;  // a real module: leave it be
    const exports = [...code.matchAll(/\bexport\s*\{[\w\s,$]*\}\s*;?/g)];
    if (exports.length !== 1) return null;
    const at = exports[0].index;
    code = code.slice(0, at) + code.slice(at + exports[0][0].length);
    return URL.createObjectURL(new Blob([code], {type: 'text/javascript'}));
  }
  function Worker(url, options) {
    if (options && options.type === 'module' && /^blob:/.test(String(url))) {
      try {
        const source = classic(String(url));
        if (source) return new NativeWorker(source);
      } catch (err) {
        // fall through: the module worker, as asked
      }
    }
    return new NativeWorker(url, options);
  }
  Worker.prototype = NativeWorker.prototype;
  window.Worker = Worker;
})();
