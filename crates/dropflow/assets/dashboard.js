// dropflow dashboard: the little that plain HTML cannot do. Everything works without it.
document.addEventListener("change", function (event) {
  // "Select all" checkbox of the orders list.
  var all = event.target.closest("[data-select-all]");
  if (!all) return;
  var form = document.getElementById(all.getAttribute("data-select-all"));
  if (!form) return;
  form.querySelectorAll('input[type="checkbox"][name="order"]').forEach(function (box) {
    box.checked = all.checked;
  });
});
