// Card payments: Stripe.js turns the card into a token in the browser, so the card number never reaches
// choso; the form then submits as usual. A card that needs a 3-D Secure check is confirmed here, and the
// page asks choso (which asks Stripe) where the payment stands. Without JavaScript, pay by bank transfer.
(function () {
  "use strict";
  var script = document.getElementById("card-js");
  if (!script || typeof window.Stripe !== "function") { return; }
  var stripe = window.Stripe(script.getAttribute("data-key"));

  document.querySelectorAll("form.card-form").forEach(function (form) {
    var card = stripe.elements().create("card");
    card.mount(form.querySelector(".card-element"));
    var tokenField = form.querySelector("input[name=card_token]");
    var errorBox = form.querySelector(".card-error");
    form.addEventListener("submit", function (event) {
      if (tokenField.value) { return; }
      event.preventDefault();
      stripe.createToken(card).then(function (result) {
        if (result.error) {
          errorBox.textContent = (result.error && result.error.message) || String(result.error);
          return;
        }
        tokenField.value = result.token.id;
        form.submit();
      });
    });
  });

  document.querySelectorAll("form.card-action").forEach(function (form) {
    stripe.confirmCardPayment(form.getAttribute("data-client-secret")).then(function () { form.submit(); });
  });
})();
