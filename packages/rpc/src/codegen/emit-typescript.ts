/**
 * @module
 * The IR → one small TypeScript module per contract: each method's params and
 * result types, inferred by zod from the contract itself (so they never drift),
 * and the union of its method names.
 */

import type { IrContract } from './ir.js';
import { pascalCase } from './names.js';
import { GENERATED_MARKER } from './version.js';

/** The module's file name: `<service>.ts`. */
export function typescriptModuleName(service: string): string {
  return `${service}.ts`;
}

/**
 * The import specifier of a contract's module: `specifier` as given, with `{file}`
 * replaced by the module's name without its extension (`../contracts/{file}.js`),
 * for a `--src` folder of several contract modules.
 */
export function contractSpecifier(specifier: string, sourceName: string): string {
  const file = sourceName.replace(/\.(m?[jt]s)$/, '');
  return specifier.replaceAll('{file}', file);
}

function quoted(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function memberAccess(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${quoted(name)}]`;
}

/** The TypeScript module of one contract; it imports the contract's type from `specifier`. */
export function emitTypeScript(contract: IrContract, specifier: string): string {
  const local = contract.exportName === 'default' ? `${pascalCase(contract.service)}Contract` : contract.exportName;
  const imported = contract.exportName === 'default' ? `default as ${local}` : local;
  const types = contract.methods.flatMap((method) => {
    const pascal = pascalCase(method.name);
    const schemas = `typeof ${local}.methods${memberAccess(method.name)}`;
    const lines = [
      '',
      `/** \`${method.name}\`'s params, as a caller passes them. */`,
      `export type ${pascal}Params = z.input<${schemas}.params>;`,
    ];
    if (method.result !== null) {
      lines.push(
        `/** \`${method.name}\`'s result, as a caller receives it. */`,
        `export type ${pascal}Result = z.output<${schemas}.result>;`,
      );
    }
    return lines;
  });
  const names = contract.methods.map((method) => quoted(method.name));
  return [
    `// ${GENERATED_MARKER} from ${contract.sourceName}: do not edit.`,
    '// Re-run `replayrail-rpc codegen` to update it.',
    `import type { ${imported} } from ${quoted(contractSpecifier(specifier, contract.sourceName))};`,
    "import type { z } from 'zod';",
    ...types,
    '',
    `/** The methods (and notifications) of ${contract.service}. */`,
    `export type ${pascalCase(contract.service)}Method = ${names.join(' | ')};`,
    '',
  ].join('\n');
}
