// response_mode=form_post: submit the response to the client at once (the button is the no-JS path).
document.getElementById('form-post')?.submit();
