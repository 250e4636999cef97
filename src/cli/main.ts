#!/usr/bin/env node
import { Command } from 'commander';
import { serveCommand } from './serve-command.js';
import { testCommand } from './test-command.js';
import { keysCommand } from './keys-command.js';
import { batchCommand } from './batch-command.js';
import { predictionsCommand } from './predictions-command.js';
import { lookupCommand } from './lookup-command.js';
import { registerCascadeCommand } from './cascade-command.js';
import { registerFeaturesCommand } from './features-command.js';
import { experimentCommand, labelCommand, rolloutCommand } from './traffic-command.js';

const program = new Command('skein')
  .description('Skein: model serving for TypeScript (ONNX over the Open Inference Protocol v2)')
  .showHelpAfterError();
program.addCommand(serveCommand());
program.addCommand(testCommand());
program.addCommand(keysCommand());
program.addCommand(batchCommand());
program.addCommand(predictionsCommand());
program.addCommand(lookupCommand());
program.addCommand(rolloutCommand());
program.addCommand(experimentCommand());
program.addCommand(labelCommand());
registerCascadeCommand(program);
registerFeaturesCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
