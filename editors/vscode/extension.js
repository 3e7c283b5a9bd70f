// Tightrope stories: starts `tightrope lsp` for the workspace's YAML story files.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("tightrope");
  const command = config.get("command", "tightrope");
  const files = config.get("files", "**/*.{yaml,yml}");
  client = new LanguageClient(
    "tightrope",
    "Tightrope stories",
    // vscode-languageclient adds --stdio, which `tightrope lsp` accepts
    { command, args: ["lsp"], transport: TransportKind.stdio },
    {
      documentSelector: [
        { scheme: "file", language: "yaml", pattern: files },
        { scheme: "untitled", language: "yaml" },
      ],
    }
  );
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("tightrope")) {
        vscode.window.showInformationMessage("Tightrope: reload the window to use the new settings.");
      }
    })
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
