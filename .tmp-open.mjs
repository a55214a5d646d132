import { open } from 'lmdb';
const ro = process.argv[3] === 'ro';
const env = open({ path: process.argv[2] + '/events.mdb', maxDbs: 16, readOnly: ro });
const db = env.openDB('events', {encoding:'binary'});
let n=0; for (const k of db.getKeys()) { db.get(k); n++; }
console.log('read', n);
if (!ro) { for (let i=3000;i<3100;i++) db.put(i, Buffer.alloc(500,2)); await db.put(5000, Buffer.alloc(10)); console.log('wrote'); }
await env.close();
