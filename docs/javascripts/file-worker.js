// Search for the site opened from disk (file://). Material runs its search in a Web Worker, and a
// browser starts no worker from a file:// page; this runs the worker's script in a hidden iframe of
// the page instead, behind the same interface (postMessage and "message" events both ways). The
// index comes from search/search_index.js, which scripts/mkdocs_hooks.py writes at build time.
// Over http(s) it does nothing: the real Worker runs.
(function () {
  if (location.protocol !== "file:") return;
  class FileWorker extends EventTarget {
    constructor(url) {
      super();
      this.frame = document.createElement("iframe");
      this.frame.hidden = true;
      document.documentElement.appendChild(this.frame);
      const scope = this.frame.contentWindow;
      const inbox = [];  // what the page sent before the script was loaded
      this.listeners = [];
      this.ready = false;
      scope.addEventListener = (type, listener) => { if (type === "message") this.listeners.push(listener); };
      scope.postMessage = (data) => setTimeout(() => this.dispatchEvent(new MessageEvent("message", { data })));
      this.deliver = (data) => {
        for (const listener of this.listeners) listener.call(scope, new MessageEvent("message", { data }));
      };
      this.send = (data) => (this.ready ? setTimeout(() => this.deliver(data)) : inbox.push(data));
      const script = scope.document.createElement("script");
      script.src = new URL(url, location.href).href;
      script.onload = () => { this.ready = true; for (const data of inbox.splice(0)) this.deliver(data); };
      script.onerror = () => this.dispatchEvent(new Event("error"));
      scope.document.head.appendChild(script);
    }
    postMessage(data) { this.send(data); }
    terminate() { this.frame.remove(); }
  }
  window.Worker = FileWorker;
})();
