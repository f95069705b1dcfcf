/* Fill the suggested jasa when a member is picked, unless the treasurer typed their own. */
(function () {
  var data = JSON.parse(document.getElementById("fee-suggestions").textContent);
  var member = document.getElementById("id_member");
  var fee = document.getElementById("id_fee");
  if (!member || !fee) return;
  var last = "";
  var dots = function (n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "."); };
  member.addEventListener("change", function () {
    var value = data[member.value];
    if (value === undefined || (fee.value && fee.value !== last)) return;
    last = dots(value);
    fee.value = last;
    fee.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
