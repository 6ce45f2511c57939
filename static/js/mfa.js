// allauth's WebAuthn script reports a refused or failed security key step only on the console
// (an "allauth.error" event nobody handles): say it on the page, in the alert beside the button.
(function () {
  document.addEventListener('allauth.error', function (event) {
    const box = document.getElementById('webauthn-error')
    if (!box) {
      return
    }
    event.preventDefault()
    const exception = event.detail && event.detail.exception
    const detail = document.getElementById('webauthn-error-detail')
    detail.textContent = exception && exception.message ? exception.message : 'no answer from the key.'
    box.hidden = false
    box.focus()
  })
})()
