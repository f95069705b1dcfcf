/* The survey page (evaluation/survey.html): show or hide questions as they are answered. */
/* Show a question only when it is asked: its `when` condition holds (on an answer that is itself shown) and,
   for the answers proper, the respondent said yes to the consent question. The server checks the same. */
(function () {
  var form = document.getElementById("survey-form");
  if (!form) return;
  var fixed = JSON.parse(document.getElementById("survey-fixed").textContent);
  var consent = form.getAttribute("data-consent");
  var boxes = Array.prototype.slice.call(form.querySelectorAll(".q[data-code]"));
  function answer(code, shown) {
    if (Object.prototype.hasOwnProperty.call(fixed, code)) return fixed[code];
    var el = form.elements[code];
    if (!shown[code] || !el) return null;
    return el.value === "" ? null : el.value;
  }
  // A hidden number keeps what was typed (the draft keeps it too) but must not stop the form being sent.
  function bounds(el, on) {
    ["min", "max"].forEach(function (name) {
      var kept = "data-" + name;
      if (!on && el.hasAttribute(name)) { el.setAttribute(kept, el.getAttribute(name)); el.removeAttribute(name); }
      if (on && el.hasAttribute(kept)) { el.setAttribute(name, el.getAttribute(kept)); el.removeAttribute(kept); }
    });
  }
  function update() {
    var shown = {};
    var consented = true;
    boxes.forEach(function (box) {
      var code = box.getAttribute("data-code");
      var visible = consented || !box.hasAttribute("data-gated");
      var on = box.getAttribute("data-when-code");
      if (visible && on) {
        var value = answer(on, shown);
        var equals = box.getAttribute("data-when-equals");
        if (value === null) visible = false;
        else if (equals) visible = equals.split(",").indexOf(String(value)) !== -1;
        else visible = parseFloat(value) >= parseFloat(box.getAttribute("data-when-min"));
      }
      box.hidden = !visible;
      Array.prototype.forEach.call(box.querySelectorAll("input"), function (el) { bounds(el, visible); });
      shown[code] = visible;
      if (code === consent) consented = visible && answer(code, shown) === "1";
    });
  }
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  form.addEventListener("berdaya:reset", update);
  // offline-forms.js restores a draft when the page has loaded: look again after it.
  document.addEventListener("DOMContentLoaded", function () { window.setTimeout(update, 0); });
  update();
})();
