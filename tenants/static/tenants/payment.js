// Card page: save the card with a SetupIntent (Stripe.js card element), then ask our
// server to charge the plan's price; a 3-D Secure step goes back to Stripe.js.
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || !window.Stripe) return;
  var config = JSON.parse(document.getElementById("stripe-config").textContent);
  var messages = JSON.parse(document.getElementById("payment-messages").textContent);
  var stripe = window.Stripe(config.key);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var button = document.getElementById("pay-button");
  var errorBox = document.getElementById("payment-error");
  var progress = document.getElementById("payment-progress");
  var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;

  function fail(message) {
    errorBox.textContent = message || messages.failed;
    errorBox.hidden = false;
    progress.textContent = "";
    button.disabled = false;
  }

  function charge(body) {
    return fetch(form.dataset.payUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { fail(data.error); return; }
        if (data.state === "requires_action") {
          return stripe.confirmCardPayment(data.client_secret).then(function (auth) {
            if (auth.error) { fail(auth.error.message); return; }
            window.location = data.status_url;
          });
        }
        window.location = data.status_url;
      });
    });
  }

  var savedButton = document.getElementById("pay-saved");
  if (savedButton) {
    savedButton.addEventListener("click", function () {
      savedButton.disabled = true;
      progress.textContent = messages.working;
      charge({ saved_card: true }).catch(function () { fail(); savedButton.disabled = false; });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    errorBox.hidden = true;
    progress.textContent = messages.working;
    stripe.confirmCardSetup(config.setupSecret, { payment_method: { card: card } }).then(function (result) {
      if (result.error) { fail(result.error.message); return; }
      return charge({ setup_intent: result.setupIntent.id });
    }).catch(function () { fail(); });
  });
})();
