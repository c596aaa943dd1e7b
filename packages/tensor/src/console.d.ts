// The library logs through the console only; declared here so the package
// needs neither DOM nor Node type libraries (it runs in both).
declare const console: {
  log(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
};
