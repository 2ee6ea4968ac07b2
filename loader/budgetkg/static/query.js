// The query page (/): YASGUI, with the query library as examples. A file of its own, not a
// script in the page: the server's Content-Security-Policy runs the server's files only.
// The page gives the endpoint (data-endpoint) and the library (a JSON data block).
const library = JSON.parse(document.getElementById("library").textContent);
const yasgui = new Yasgui(document.getElementById("yasgui"), {
  requestConfig: { endpoint: document.getElementById("yasgui").dataset.endpoint, method: "POST" },
  copyEndpointOnNewTab: true,
  persistenceId: null,
});
yasgui.getTab().setQuery(library[0].query);
document.getElementById("examples").addEventListener("change", (e) => {
  if (e.target.value === "") return;
  const tab = yasgui.getTab();
  tab.setQuery(library[Number(e.target.value)].query);
  tab.query();
});
window.budgetkgYasgui = yasgui;
