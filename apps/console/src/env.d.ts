// Vite bundles the stylesheet imported for its side effect (src/main.tsx).
declare module '*.css';
