// Lint: typescript-eslint's recommended rules plus the Next.js rules (core web vitals), flat config.
import nextVitals from 'eslint-config-next/core-web-vitals';
import nextTypescript from 'eslint-config-next/typescript';

const config = [
  ...nextVitals,
  ...nextTypescript,
  {
    rules: {
      // Warnings do not fail CI; unused code and expressions are errors here.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-unused-expressions': 'error',
    },
  },
  {
    // CommonJS on purpose (the CLI launcher skips the ES module loader): require is how it imports.
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    ignores: [
      'dist/**',
      '.next/**',
      '.cluster/**',
      '.cluster-test/**',
      'node_modules/**',
      'test-results/**',
      'playwright-report/**',
      'next-env.d.ts',
      'e2e/screenshots/**',
    ],
  },
];

export default config;
