/* Checklists you can tick. The theme renders task lists as disabled checkboxes; here each box
 * becomes tickable, and what is ticked is kept in this browser (localStorage, per page), so a
 * reload or a closed tab loses nothing. Under each list: how many are done, a "Reset" button,
 * and "Print blank" (the page on paper with every box empty). Item texts are only read, as
 * keys; nothing from the page is ever written back into it as HTML. Runs on every page,
 * including each one instant navigation swaps in. */
(function () {
  "use strict";
  var PREFIX = "runbook-checklists:";

  function storageKey() {
    return PREFIX + location.pathname;
  }

  function load() {
    try {
      return JSON.parse(localStorage.getItem(storageKey()) || "{}") || {};
    } catch (error) {
      return {};
    }
  }

  function save(state) {
    try {
      localStorage.setItem(storageKey(), JSON.stringify(state));
    } catch (error) {
      /* storage refused (private mode, quota): ticks last until the page is left */
    }
  }

  function heading(list) {
    var node = list;
    while (node && node !== document.body) {
      var sibling = node.previousElementSibling;
      while (sibling) {
        if (/^H[1-6]$/.test(sibling.tagName) && sibling.id) {
          return sibling.id;
        }
        sibling = sibling.previousElementSibling;
      }
      node = node.parentElement;
    }
    return "";
  }

  function itemKey(list, item) {
    var text = "";
    item.childNodes.forEach(function (child) {
      if (!(child.nodeType === 1 && child.tagName === "UL")) {
        text += child.textContent;
      }
    });
    return heading(list) + "|" + text.replace(/\s+/g, " ").trim();
  }

  function button(text, onClick) {
    var element = document.createElement("button");
    element.type = "button";
    element.textContent = text;
    element.addEventListener("click", onClick);
    return element;
  }

  function setUp(list, index) {
    var boxes = [];
    list.querySelectorAll(":scope > li.task-list-item").forEach(function (item) {
      var box = item.querySelector(":scope > label > input[type=checkbox], :scope > input[type=checkbox]");
      if (box) {
        boxes.push({ box: box, key: itemKey(list, item) });
      }
    });
    if (!boxes.length) {
      return;
    }
    var tools = document.createElement("div");
    tools.className = "rb-checklist-tools";
    var count = document.createElement("output");
    function update() {
      var done = boxes.filter(function (b) { return b.box.checked; }).length;
      count.textContent = done + " of " + boxes.length + " done";
    }
    var state = load();
    boxes.forEach(function (b) {
      b.box.disabled = false;
      /* the whole item is the tap target, not only the small box (links and code excepted) */
      b.box.closest("li").addEventListener("click", function (event) {
        if (!event.target.closest("a, button, input, label, code") && event.target.closest("li") === b.box.closest("li")) {
          b.box.click();
        }
      });
      b.box.checked = state[b.key] === true;
      b.box.addEventListener("change", function () {
        var current = load();
        if (b.box.checked) {
          current[b.key] = true;
        } else {
          delete current[b.key];
        }
        save(current);
        update();
      });
    });
    tools.appendChild(count);
    tools.appendChild(button("Reset", function () {
      var current = load();
      boxes.forEach(function (b) {
        b.box.checked = false;
        delete current[b.key];
      });
      save(current);
      update();
    }));
    tools.appendChild(button("Print blank", function () {
      document.body.classList.add("rb-print-blank");
      window.print();
      document.body.classList.remove("rb-print-blank");
    }));
    tools.dataset.checklist = String(index);
    list.insertAdjacentElement("afterend", tools);
    update();
  }

  /* Diagrams are drawn at their natural size (runbook/site/workflow.py), so on a phone the
   * labels stay readable and the diagram scrolls sideways; on a wide screen a diagram wider
   * than the column is zoomed down to fit it, as the theme would have drawn it. */
  var WIDE = window.matchMedia("(min-width: 60em)");

  function fit(diagram) {
    diagram.style.zoom = "";
    if (WIDE.matches && diagram.scrollWidth > diagram.clientWidth + 1) {
      diagram.style.zoom = String(diagram.clientWidth / diagram.scrollWidth);
    }
  }

  function fitAll() {
    document.querySelectorAll(".md-content div.mermaid").forEach(fit);
  }

  new MutationObserver(function (records) {
    records.forEach(function (record) {
      record.addedNodes.forEach(function (node) {
        if (node.nodeType === 1 && node.matches("div.mermaid")) {
          requestAnimationFrame(function () { fit(node); });
        }
      });
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
  window.addEventListener("resize", fitAll);

  function init() {
    document.querySelectorAll(".md-content ul.task-list").forEach(function (list, index) {
      if (!list.parentElement.closest("ul.task-list")) {
        setUp(list, index);
      }
    });
  }

  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
