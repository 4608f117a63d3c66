// Checks custom resources (Gateway API, Traefik) against the models of the npm packages pinned in
// tests/k8s/npm/package.json, in two layers, for a whole batch of objects in one node process:
//
// 1. the package's own validator (`new Model(obj).validate()`): types, enums, patterns, required
//    fields, limits. It does not refuse unknown fields.
// 2. TypeScript's excess-property check against the package's types: every object becomes a typed
//    object literal, so any field the type does not declare, at any depth, is an error.
//
// Usage: node crd_check.mjs NPM_DIR OBJECTS.json
//   NPM_DIR holds node_modules (as `npm ci` installed it); OBJECTS.json is a JSON array of objects.
// Prints one JSON line per object, in order: {"index": N, "problems": ["layer: message", ...]}.
// Exits 0 when it could check every object (whatever it found), 2 on a usage or set-up error.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

// (apiVersion, kind) -> the file of the package that models it, relative to node_modules.
const MODULES = {
  "gateway.networking.k8s.io/v1": "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1",
  "traefik.io/v1alpha1": "@kubernetes-models/traefik/traefik.io/v1alpha1",
};

const [npmDir, objectsFile] = process.argv.slice(2);
if (!npmDir || !objectsFile) {
  console.error("usage: node crd_check.mjs NPM_DIR OBJECTS.json");
  process.exit(2);
}
const nodeModules = join(npmDir, "node_modules");
const ts = (await import(pathToFileURL(join(nodeModules, "typescript", "lib", "typescript.js")).href)).default;
const objects = JSON.parse(readFileSync(objectsFile, "utf8"));
const problems = objects.map(() => []);

function modelFile(obj) {
  const base = MODULES[obj.apiVersion];
  return base && /^[A-Za-z]+$/.test(obj.kind ?? "") ? join(nodeModules, base, `${obj.kind}.js`) : null;
}

// Layer 1, and the TypeScript source for layer 2: one line per object, so a diagnostic's line is the
// object's index.
const lines = [];
for (const [index, obj] of objects.entries()) {
  const file = modelFile(obj);
  let model = null;
  if (file !== null) {
    try {
      model = (await import(pathToFileURL(file).href))[obj.kind];
    } catch {
      model = null;
    }
  }
  if (!model) {
    problems[index].push(`kind: no model for ${obj.apiVersion} ${obj.kind}`);
    lines.push("");
    continue;
  }
  try {
    new model(obj).validate();
  } catch (error) {
    problems[index].push(`schema: ${error.message}`);
  }
  lines.push(
    `import type { I${obj.kind} as T${index} } from ${JSON.stringify(file)}; ` +
      `export const object${index}: T${index} = ${JSON.stringify(obj)};`,
  );
}

const workdir = mkdtempSync(join(tmpdir(), "crd-check-"));
try {
  const source = join(workdir, "objects.mts");
  writeFileSync(source, lines.join("\n") + "\n");
  const program = ts.createProgram([source], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  });
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, " ");
    if (diagnostic.file?.fileName !== source || diagnostic.start === undefined) {
      // Not about one of the objects (a broken install, a type error inside a package): no verdict.
      console.error(`typescript: ${message}`);
      process.exit(2);
    }
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    problems[line].push(`fields: ${message}`);
  }
} finally {
  rmSync(workdir, { recursive: true, force: true });
}

for (const [index, found] of problems.entries()) {
  console.log(JSON.stringify({ index, problems: found }));
}
