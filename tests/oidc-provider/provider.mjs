// A real OpenID provider for the end-to-end tests: panva's oidc-provider with its development
// login page (any user name; the password is not checked), on loopback, on an ephemeral port.
//
//   node provider.mjs CLIENT_ID CLIENT_SECRET
//
// prints `issuer http://127.0.0.1:PORT` once it listens. People are made up from the user name:
// `NAME` has the email `NAME@example.test` (verified, except for the user `unverified`) and is in
// the group `engineering` when the name starts with `eng`, `sales` otherwise. Consent for the
// one client is granted without asking, as for a company's own application.
import http from 'node:http';
import Provider from 'oidc-provider';

const [clientId, clientSecret] = process.argv.slice(2);
if (!clientId || !clientSecret) {
  console.error('usage: node provider.mjs CLIENT_ID CLIENT_SECRET');
  process.exit(2);
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      // A native application: loopback redirect URIs match on any port (RFC 8252 §7.3), so the
      // server under test may listen wherever the system puts it.
      application_type: 'native',
      redirect_uris: [
        'http://localhost/oauth/sign-in/oidc/callback',
        'http://127.0.0.1/oauth/sign-in/oidc/callback',
      ],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    cookies: { keys: ['test-only-cookie-key-0123456789abcdef'] },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            name: id,
            email: `${id}@example.test`,
            email_verified: id !== 'unverified',
            groups: id.startsWith('eng') ? ['engineering'] : ['sales'],
          };
        },
      };
    },
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        return ctx.oidc.provider.Grant.find(grantId);
      }
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile groups');
      await grant.save();
      return grant;
    },
  });
  server.on('request', provider.callback());
  console.log(`issuer ${issuer}`);
});
