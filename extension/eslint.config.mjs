// ESLint for the MedLab extension, in the spirit of the JupyterLab extension template:
// ESLint's and typescript-eslint's recommended rules, the Jupyter plugin's rules for
// plugins and commands, a few house rules, and Prettier for all formatting.
//
//   jlpm eslint:check   report problems (warnings fail too)
//   jlpm eslint         fix what can be fixed automatically
import js from '@eslint/js';
import jupyterPlugin from '@jupyter/eslint-plugin';
import prettierRecommended from 'eslint-plugin-prettier/recommended';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig([
  {
    ignores: ['node_modules', 'lib', '.yarn', '**/*.js', '**/*.d.ts']
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  jupyterPlugin.configs.recommended,
  // Prettier formats; it also turns off the style rules it would fight with. Our rules come
  // after it, so `curly` (safe with Prettier in its "all" form) stays on.
  prettierRecommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: {
        project: 'tsconfig.json',
        tsconfigRootDir: import.meta.dirname,
        sourceType: 'module'
      }
    },
    rules: {
      // JupyterLab convention: interfaces are named IThing.
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: { regex: '^I[A-Z]', match: true }
        }
      ],
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none' }],
      // Server replies are parsed JSON of unknown shape until they are checked.
      '@typescript-eslint/no-explicit-any': 'off',
      // `CommandIDs` is a namespace, as in JupyterLab itself.
      '@typescript-eslint/no-namespace': 'off',
      // A promise nobody awaits must say so with `void`.
      '@typescript-eslint/no-floating-promises': 'error',
      // The course is written in English only: there is no translator to route strings through.
      'jupyter/no-untranslated-string': 'off',
      // Our own modules are all needed at start-up (the panel opens, the commands and the
      // launcher card register), and the whole extension is a few kilobytes: nothing to defer.
      'jupyter/prefer-lazy-imports': ['warn', { ignoreImports: ['./*'] }],
      curly: ['error', 'all'],
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error'
    }
  }
]);
