export const id = 520;
export const ids = [520];
export const modules = {

/***/ 6520:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  EntraTokenProvider: () => (/* binding */ EntraTokenProvider)
});

// EXTERNAL MODULE: ./node_modules/@azure/identity/dist/esm/index.js + 172 modules
var esm = __webpack_require__(9907);
// EXTERNAL MODULE: ./node_modules/@azure/core-rest-pipeline/dist/esm/index.js + 93 modules
var dist_esm = __webpack_require__(9886);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(7075);
;// CONCATENATED MODULE: ./src/auth/azure-http-client.ts
// @azure/identity talks to Entra ID through an Azure SDK pipeline. This hands
// that pipeline's requests to the action's one transport, so the sign-in
// honours the same proxies, CA trust, retries and redirects as every other call.


function transportHttpClient(transport) {
    return {
        async sendRequest(request) {
            const response = await transport.send({
                method: request.method,
                url: request.url,
                headers: request.headers.toJSON({ preserveCase: true }),
                body: bodyOf(request),
                signal: request.abortSignal
            });
            const headers = (0,dist_esm/* createHttpHeaders */.Nc)(response.headersObject());
            if (request.streamResponseStatusCodes?.has(response.status)) {
                return { request, status: response.status, headers, readableStreamBody: response.body };
            }
            return { request, status: response.status, headers, bodyAsText: await response.text() };
        }
    };
}
function bodyOf(request) {
    const { body } = request;
    if (body === undefined || body === null)
        return undefined;
    if (typeof body === 'string' || body instanceof Uint8Array)
        return body;
    if (typeof body === 'function')
        return () => body();
    if (body instanceof external_node_stream_.Readable) {
        // A stream can be sent once; token requests are small forms and never get here.
        return () => body;
    }
    throw new Error(`unsupported request body for ${request.method} ${new URL(request.url).pathname}`);
}

// EXTERNAL MODULE: ./src/auth/errors.ts
var errors = __webpack_require__(5439);
;// CONCATENATED MODULE: ./src/auth/entra.ts
// GitHub OIDC → Entra ID: @azure/identity's ClientAssertionCredential, whose
// assertion callback asks the runner for a fresh ID token every time (they
// live about five minutes; a job may run for hours). Its HTTP goes through the
// action's transport, and its own retries are off so that only one loop retries.



// MSAL asks login.microsoftonline.com where any other authority lives, which
// can never work for a private or offline one: discovery is only for these.
const microsoftAuthorityHosts = new Set([
    'login.microsoftonline.com',
    'login.chinacloudapi.cn',
    'login.microsoftonline.us',
    'login.microsoftonline.de'
]);
class EntraTokenProvider {
    options;
    credential;
    constructor(options) {
        this.options = options;
        const host = new URL(options.authorityHost).hostname.toLowerCase();
        this.credential = new esm/* ClientAssertionCredential */.XI(options.tenantId, options.clientId, () => options.idTokens.fetchIdToken(), {
            authorityHost: options.authorityHost,
            disableInstanceDiscovery: !microsoftAuthorityHosts.has(host),
            httpClient: transportHttpClient(options.transport),
            retryOptions: { maxRetries: 0 }
        });
    }
    async accessToken() {
        let token;
        try {
            const result = await this.credential.getToken(this.options.audience);
            token = result.token;
        }
        catch (error) {
            throw this.explain(error);
        }
        this.options.mask(token);
        return token;
    }
    explain(error) {
        // An AuthError from the assertion callback (no id-token permission) already says what to do.
        const cause = error.cause;
        for (const candidate of [error, cause]) {
            if (candidate instanceof errors/* AuthError */.l)
                return candidate;
        }
        const message = String(error?.message ?? error);
        if (message.includes('ACTIONS_ID_TOKEN_REQUEST_URL') || message.includes('id-token: write')) {
            return new errors/* AuthError */.l('oidc', firstLine(message), { cause: error });
        }
        if (message.includes('endpoints_resolution_error')) {
            return new errors/* AuthError */.l('oidc', `Entra ID at ${this.options.authorityHost} could not describe tenant ${this.options.tenantId} (its openid-configuration did not load): check tenant-id, cloud and authority-host`, { cause: error });
        }
        const code = /AADSTS(\d+)/.exec(message)?.[1];
        const { clientId, tenantId } = this.options;
        const presented = this.options.idTokens.lastPresented;
        // AADSTS70021 and 700211 to 7002138: the assertion matched no federated credential.
        if (code?.startsWith('70021')) {
            return new errors/* AuthError */.l('oidc', `Entra ID found no federated credential of application ${clientId} matching this workflow (AADSTS${code}): the presented token has sub '${presented?.sub ?? '?'}', iss '${presented?.iss ?? '?'}', aud '${presented?.aud ?? '?'}'; add a federated credential with exactly this subject, issuer and audience`, { cause: error });
        }
        const hints = {
            '700016': `application ${clientId} is not known in tenant ${tenantId}: check client-id and tenant-id`,
            '90002': `tenant ${tenantId} does not exist: check tenant-id`,
            '700024': "the runner's OIDC token had expired when Entra ID received it: check the runner's clock",
            '50013': "Entra ID could not verify the runner's OIDC token signature",
            '70011': `Entra ID refused the scope ${this.options.audience}: check the audience input`
        };
        const hint = code !== undefined ? hints[code] : undefined;
        return new errors/* AuthError */.l('oidc', hint
            ? `Entra ID sign-in failed (AADSTS${code}): ${hint}`
            : `Entra ID sign-in failed: ${firstLine(message)}`, { cause: error });
    }
}
function firstLine(text) {
    return text.split('\n')[0]?.trim() ?? text;
}


/***/ })

};
