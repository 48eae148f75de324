// refundkit /docs: Swagger UI (vendored in static/swagger-ui/) on this site's /openapi.json.
// A file of its own so the page's Content-Security-Policy needs no inline script.
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null, // no call to validator.swagger.io
    presets: [SwaggerUIBundle.presets.apis],
  });
});
