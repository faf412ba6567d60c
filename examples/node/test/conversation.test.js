// equos-mock from Node: start a conversation over plain HTTP (global fetch), verify the consumer's
// LiveKit token with livekit-server-sdk, stop the conversation. Run: EQUOS_MOCK_URL=... npm test
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';

import { TokenVerifier } from 'livekit-server-sdk';

const BASE_URL = (process.env.EQUOS_MOCK_URL ?? 'http://127.0.0.1:8787').replace(/\/+$/, '');
// Any key works on the mock: a new one is a new, empty organization.
const API_KEY = process.env.EQUOS_API_KEY ?? `sk_test_node_${randomUUID()}`;
// The mock signs room tokens with these (its defaults are livekit-server --dev's).
const LIVEKIT_API_KEY = process.env.LIVEKIT_API_KEY ?? 'devkey';
const LIVEKIT_API_SECRET = process.env.LIVEKIT_API_SECRET ?? 'secret';

async function equos(method, path, body) {
  const reply = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await reply.text();
  assert.ok(reply.ok, `${method} ${path} answered ${reply.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

test('a conversation starts, its consumer token verifies, and it stops', async () => {
  const brain = await equos('POST', '/v3/brains', { instructions: 'Be brief.', greetingMessage: 'Hi!' });
  const character = await equos('POST', '/v3/characters', {
    name: 'Guide', livekitIdentity: `guide-${randomUUID()}`, brainId: brain.id,
  });
  const { conversation, consumerAccessToken } = await equos('POST', '/v3/conversations', {
    name: 'node example', characterId: character.id, consumer: { identity: 'user-1', name: 'User One' },
  });
  assert.equal(conversation.status, 'running');

  try {
    const claims = await new TokenVerifier(LIVEKIT_API_KEY, LIVEKIT_API_SECRET).verify(consumerAccessToken);
    assert.equal(claims.sub, 'user-1');
    assert.equal(claims.name, 'User One');
    assert.equal(claims.video.room, conversation.room);
    assert.equal(claims.video.roomJoin, true);
    await assert.rejects(new TokenVerifier(LIVEKIT_API_KEY, 'not-the-secret').verify(consumerAccessToken));
  } finally {
    await equos('POST', `/v3/conversations/${conversation.id}/stop`);
  }

  const ended = await equos('GET', `/v3/conversations/${conversation.id}`);
  assert.equal(ended.status, 'ended');
  assert.ok(Date.parse(ended.endedAt) >= Date.parse(ended.startedAt), `endedAt: ${ended.endedAt}`);
});
