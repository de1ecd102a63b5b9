// Starts Swagger UI on /api/docs (kept out of the page: the CSP allows no inline script).
const root = document.getElementById("swagger-ui");
window.ui = window.SwaggerUIBundle({
  url: root.dataset.spec,
  dom_id: "#swagger-ui",
  presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIStandalonePreset],
  layout: "BaseLayout",
  deepLinking: true,
});
