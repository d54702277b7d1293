// The official MCP TypeScript SDK connecting to the memory server as an MCP client does, given
// nothing but the MCP URL: 401 → protected-resource metadata (whose `resource` the SDK compares
// with the URL) → authorization-server metadata → dynamic registration → authorize with PKCE →
// token → tools/list and tools/call. The server auto-approves; the browser step is a plain GET
// whose redirect carries the code.
//
// Usage: node connect.mjs MCP_URL. Prints one JSON line with what the client saw; exits non-zero
// with the SDK's error otherwise.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";

const mcpUrl = new URL(process.argv[2]);
const redirectUrl = `http://${mcpUrl.hostname.replace(/^\[|\]$/g, "") === "::1" ? "[::1]" : mcpUrl.hostname}:43117/callback`;

let client_information;
let saved_tokens;
let verifier;
let code;

const provider = {
  get redirectUrl() {
    return redirectUrl;
  },
  get clientMetadata() {
    return {
      client_name: "MCP TypeScript SDK check",
      redirect_uris: [redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  },
  clientInformation: () => client_information,
  saveClientInformation: (info) => {
    client_information = info;
  },
  tokens: () => saved_tokens,
  saveTokens: (tokens) => {
    saved_tokens = tokens;
  },
  saveCodeVerifier: (value) => {
    verifier = value;
  },
  codeVerifier: () => verifier,
  // The browser's part: follow the authorization URL and read the code off the redirect.
  redirectToAuthorization: async (url) => {
    const answer = await fetch(url, { redirect: "manual" });
    const location = answer.headers.get("location");
    if (!location) {
      throw new Error(`authorization answered ${answer.status} without a redirect`);
    }
    const back = new URL(location);
    code = back.searchParams.get("code");
    if (!code) {
      throw new Error(`no code in ${location}`);
    }
  },
};

async function connect() {
  const client = new Client({ name: "ts-sdk-check", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
  return client;
}

let client;
try {
  client = await connect();
} catch (error) {
  if (!(error instanceof UnauthorizedError) || !code) {
    throw error;
  }
  const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
  await transport.finishAuth(code);
  client = await connect();
}
const tools = await client.listTools();
const stored = await client.callTool({
  name: "store_memory",
  arguments: { content: `stored by the TypeScript SDK through ${mcpUrl.host}` },
});
console.log(
  JSON.stringify({
    tools: tools.tools.map((tool) => tool.name),
    stored: JSON.parse(stored.content[0].text),
    token_type: saved_tokens?.token_type,
  }),
);
await client.close();
