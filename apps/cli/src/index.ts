export { buildProgram } from './program.js';
export { CliError } from './cli-error.js';
