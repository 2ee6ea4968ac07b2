// The query page (/sparql): the form works without JavaScript; this makes its text area a
// SPARQL editor (YASQE, with syntax highlighting and completion). A file of its own, not a
// script in the page: the server's Content-Security-Policy runs the server's files only.
// Running the query submits the form: the server answers the results as a labelled table.
const form = document.getElementById("query-form");
const area = document.getElementById("query");
const holder = document.createElement("div");
area.parentNode.insertBefore(holder, area);
const yasqe = new Yasgui.Yasqe(holder, {
  value: area.value,
  persistenceId: null,
  showQueryButton: false,
  resizeable: true,
  // Smaller above a query's results, which the page then scrolls to.
  editorHeight: document.getElementById("results") ? "180px" : "320px",
});
yasqe.setValue(area.value);
area.hidden = true;
// The editor's own input field is labelled as the text area was.
yasqe.getInputField().setAttribute("aria-label", "查询 Query (SPARQL 1.1)");
// Its scrolling area can be reached with the keyboard, to scroll a long query.
holder.querySelector(".CodeMirror-scroll").setAttribute("tabindex", "0");
// Ctrl-Enter (YASQE's "run") submits the form, as the button does.
yasqe.query = () => { form.requestSubmit(); return Promise.resolve(); };
form.addEventListener("submit", () => { area.value = yasqe.getValue(); });
window.budgetkgYasqe = yasqe;
const results = document.getElementById("results");
if (results) results.scrollIntoView();
