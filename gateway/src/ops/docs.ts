import express, { type RequestHandler, type Response } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { Contract } from '../http/contract';

/** Where the Swagger UI page and its assets live. */
export const docsPath = '/docs';

const uiOptions: swaggerUi.SwaggerUiOptions = {
  customSiteTitle: 'Aletheia API',
  // The default validator badge calls an outside service; the contract is linted in CI instead.
  swaggerOptions: { validatorUrl: null, persistAuthorization: true },
};

const pageAssets =
  /^\/(swagger-ui\.css|swagger-ui-bundle\.js|swagger-ui-standalone-preset\.js|swagger-ui-init\.js|favicon-(16x16|32x32)\.png)(\.map)?$/;

export interface SwaggerUi {
  /** GET /docs: the page (the operation `getDocs` of the contract). */
  page(res: Response): void;
  /** GET /docs/*: the page's scripts and styles, which are not API operations. */
  assets: RequestHandler;
}

export function swaggerUiFor(contract: Contract): SwaggerUi {
  // The template links its assets relative to the page (`./swagger-ui.css`), which from
  // `/docs` would point at the root: link them under /docs/ explicitly.
  const html = swaggerUi.generateHTML(contract.document, uiOptions).replace(/(href|src)="\.\//g, `$1="${docsPath}/`);
  const [initScript] = swaggerUi.serveFiles(contract.document, uiOptions);
  // No redirect from /docs to /docs/: the page itself is served at /docs.
  const [, staticFiles] = swaggerUi.serveWithOptions({ redirect: false });
  // Only the files the page loads: the rest of swagger-ui-dist (its own index.html,
  // package.json, module sources) is not ours to publish.
  const onlyPageAssets: RequestHandler = (req, _res, next) => (pageAssets.test(req.path) ? next() : next('router'));
  return {
    page: (res) => {
      res.type('html').send(html);
    },
    // Mounted under docsPath by the app (so other requests never enter this router).
    assets: express.Router().use(onlyPageAssets, initScript, staticFiles),
  };
}
