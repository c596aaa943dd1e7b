export { CLASS_NAMES, BINARY_CLASS_NAMES, type ClassName } from './classes.js';
