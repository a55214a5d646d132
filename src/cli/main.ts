#!/usr/bin/env node
// Placeholder entry until the agent exists (actor runtime issue): `npm start` must succeed.
console.log('autotracer: the agent is not built yet (the actor runtime lands next); set-up is complete.');
