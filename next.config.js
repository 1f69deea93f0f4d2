// @ts-check
/** @type {import('next').NextConfig} */
const nextConfig = {
  // Standalone output is what the container image runs (see Dockerfile).
  output: 'standalone',
  poweredByHeader: false,
  // client-node pulls in optional native/websocket deps; keep it external to the server bundle.
  serverExternalPackages: ['@kubernetes/client-node'],
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'no-referrer' },
          { key: 'X-Frame-Options', value: 'DENY' },
        ],
      },
    ];
  },
};
module.exports = nextConfig;
