"use strict";
// HashiCorp's own HCL parser (hashicorp/hcl/v2, compiled to WASM: @cdktf/hcl2json) for the Nomad tests.
// One process serves a whole test session: one JSON request per line on stdin, {"name", "text"}; one
// JSON answer per line on stdout, {"json": <the document as HCL's JSON syntax>} or {"error": "..."}.
// Usage: node hcl_reader.js PACKAGE_DIRECTORY
const readline = require("readline");
const { parse } = require(process.argv[2]);

const requests = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
let previous = Promise.resolve();
requests.on("line", (line) => {
  // In order: each answer is written before the next request is read.
  previous = previous.then(async () => {
    const request = JSON.parse(line);
    let answer;
    try {
      answer = { json: await parse(request.name, request.text) };
    } catch (error) {
      answer = { error: String((error && error.message) || error) };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  });
});
