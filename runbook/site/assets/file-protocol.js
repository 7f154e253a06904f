/* Opened from disk (file://), mkdocs-material needs two things a server would have given it.
 *
 * 1. Its instant navigation turns itself off on file://, but in a way that also ends the
 *    stream every page component listens to (copy buttons, diagrams, search): so it is taken
 *    out of the theme's configuration on file:// before the theme reads it. Served, it stays.
 * 2. Its search runs in a Web Worker, and a page opened from file:// may not start one
 *    (Chromium refuses a worker script from a file:// URL). `Worker` is replaced by a
 *    stand-in that runs the same worker script in a hidden, same-origin iframe and passes
 *    messages as a worker would: copied, and asynchronously. The theme then reads the index
 *    from search/search_index.js (written by the runbook plugin).
 *
 * Loaded right after the theme's configuration and before its bundle (runbook/site/theme/
 * main.html). Nothing here reads page or runbook text. */
(function () {
  "use strict";
  if (location.protocol !== "file:") {
    return;
  }

  var settings = document.getElementById("__config");
  if (settings) {
    try {
      var config = JSON.parse(settings.textContent);
      config.features = (config.features || []).filter(function (feature) {
        return feature.indexOf("navigation.instant") !== 0;
      });
      settings.textContent = JSON.stringify(config);
    } catch (error) {
      /* not the theme's configuration as we know it: leave it */
    }
  }
  if (typeof EventTarget === "undefined") {
    return;
  }

  function copy(data, realm) {
    return data === undefined ? data : realm.JSON.parse(JSON.stringify(data));
  }

  class FileWorker extends EventTarget {
    constructor(url) {
      super();
      this.onmessage = null;
      this.queue = [];
      this.frame = document.createElement("iframe");
      this.frame.hidden = true;
      this.frame.setAttribute("aria-hidden", "true");
      this.frame.tabIndex = -1;
      document.documentElement.appendChild(this.frame);
      const scope = this.frame.contentWindow;
      scope.postMessage = (data) => this.deliver(copy(data, window));
      scope.importScripts = () => {
        throw new Error("importScripts is not available to a search opened from disk");
      };
      const script = scope.document.createElement("script");
      script.src = new URL(url, location.href).href;
      script.onload = () => {
        const waiting = this.queue;
        this.queue = null;
        waiting.forEach((data) => this.send(data));
      };
      scope.document.documentElement.appendChild(script);
      this.scope = scope;
    }

    postMessage(data) {
      if (this.queue) {
        this.queue.push(data);
      } else {
        this.send(data);
      }
    }

    send(data) {
      const scope = this.scope;
      setTimeout(() => scope.dispatchEvent(new scope.MessageEvent("message", { data: copy(data, scope) })), 0);
    }

    deliver(data) {
      setTimeout(() => {
        const event = new MessageEvent("message", { data: data });
        if (typeof this.onmessage === "function") {
          this.onmessage(event);
        }
        this.dispatchEvent(event);
      }, 0);
    }

    terminate() {
      this.frame.remove();
    }
  }

  window.Worker = FileWorker;
})();
