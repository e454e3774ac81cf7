alert(document.domain);
