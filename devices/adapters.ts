// Loads every adapter for its side effect: each module registers itself with the registry when it
// loads. Adding an adapter is one line here (and its folder); nothing else names it.
import './ort/index.js';
import './tfjs/index.js';
import './endpoint/index.js';
import './proc/index.js';
