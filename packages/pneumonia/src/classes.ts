/** Label order of the three-class task: the index is the label. */
export const CLASS_NAMES = ['NORMAL', 'BACTERIA', 'VIRUS'] as const;
/** Label order of the binary task. */
export const BINARY_CLASS_NAMES = ['NORMAL', 'PNEUMONIA'] as const;
export type ClassName = (typeof CLASS_NAMES)[number] | (typeof BINARY_CLASS_NAMES)[number];
