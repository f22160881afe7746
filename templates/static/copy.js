// Copy buttons for the transfer details: shown only when this script runs (the text stays selectable without it).
(function () {
  if (window.chosoCopy) return;
  window.chosoCopy = true;
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button.copy").forEach(function (button) {
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        var done = function () {
          button.textContent = "✓ " + label;
          setTimeout(function () { button.textContent = label; }, 2000);
        };
        var text = button.getAttribute("data-copy");
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
        } else { fallback(text); done(); }
      });
    });
  });
  function fallback(text) {  // plain http on a commune's own network: no Clipboard API there
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "absolute";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* the text is still there to select by hand */ }
    document.body.removeChild(area);
  }
})();
