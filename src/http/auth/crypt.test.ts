import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cryptHash, verifyCrypt } from './crypt.ts';
import type { CryptScheme } from './crypt.ts';

interface ToolVector {
  /** The exact command that printed `hash` on Debian 12 (OpenSSL 3.0.19, whois 5.5.17 mkpasswd/libxcrypt). */
  readonly command: string;
  readonly password: string;
  readonly hash: string;
}

const LONG = 'a much longer password, over sixty-four bytes long, to exercise block handling';

const toolVectors: readonly ToolVector[] = [
  {
    command: 'openssl passwd -6 -salt saltsalt secret',
    password: 'secret',
    hash: '$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1',
  },
  {
    command: 'openssl passwd -5 -salt saltsalt secret',
    password: 'secret',
    hash: '$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA',
  },
  {
    command: 'openssl passwd -1 -salt saltsalt secret',
    password: 'secret',
    hash: '$1$saltsalt$9xy1btjgzLYfb7hivXtC//',
  },
  {
    command: "openssl passwd -1 -salt ab ''",
    password: '',
    hash: '$1$ab$rn6aQS/o7141mj179E/zA.',
  },
  {
    command: "printf '\\n' | openssl passwd -1 -salt abcdefgh -stdin",
    password: '',
    hash: '$1$abcdefgh$M55TzYaaccxVGbptZWaxX/',
  },
  {
    command: "printf '' | mkpasswd -s -m sha-512 -S abcdefgh",
    password: '',
    hash: '$6$abcdefgh$v7sYNA18/BerGOYQLppYLyjH4yJilp8kqe/ef3KYMK9hOIdzH1yzcmP74Ay.m51y1jP3QqxM7Jl75S4CxDhBq.',
  },
  {
    command: "mkpasswd -m sha-512 -R 10000 -S abcdefgh ''",
    password: '',
    hash: '$6$rounds=10000$abcdefgh$2BipT6tlrDI5CSTYV0ZPRJLdPmCiwI7hNiH9/2q332h/tw4DgfDAsnK1JT.3bI2HgFNtqv5wChzf/5BdW07hC.',
  },
  {
    command: 'mkpasswd -m sha-512 -R 10000 -S saltsaltsalt12 secret',
    password: 'secret',
    hash: '$6$rounds=10000$saltsaltsalt12$TlGVFIOGn8uGg/11K7h5x8CdsL3wSJaygFeCHYMm5bB28Ea/Wn2ocyLruI8Lhj7HZPcxFb5mH/KfZruvD0Q5t0',
  },
  {
    command: "mkpasswd -m sha-256 -R 1000 -S shortsalt 'pässwörd'",
    password: 'pässwörd',
    hash: '$5$rounds=1000$shortsalt$ln7X5DM7bCHGokyqFZr0EFVft6dY.k5kgI7IQI98TUD',
  },
  {
    command: "mkpasswd -m sha-512 -R 1000 -S 'AbCd./9z' 'über'",
    password: 'über',
    hash: '$6$rounds=1000$AbCd./9z$VKvUx5kJk63Rq3lI0RfPNr93eysCz1hNNc/YxjzPIN3jSw1RLG/rDp2k4bTKcJntqhEDucwc/fPoRhz48myno1',
  },
  {
    command: "mkpasswd -m md5 -S 12345678 'pässwörd'",
    password: 'pässwörd',
    hash: '$1$12345678$mQ1/t.WwP76MO4VquZEL.0',
  },
  {
    command: `mkpasswd -m md5 -S 12345678 '${LONG}'`,
    password: LONG,
    hash: '$1$12345678$4OZ19ZSZn2hnVtrzloJej.',
  },
  {
    command: `openssl passwd -5 -salt 'x' '${LONG}'`,
    password: LONG,
    hash: '$5$x$VIzP9RYCnOR31VBKoiIt4c4BZkuYCRRyiVOTqxVGQU4',
  },
  {
    // openssl cuts the 20-character salt to 16, as the algorithm requires.
    command: `openssl passwd -6 -salt 0123456789abcdefXYZW '${LONG}'`,
    password: LONG,
    hash: '$6$0123456789abcdef$ZzooN4HnZhHAHJT33SiPREaIvrVUbeGO3H2mkGlwO.vlXWZPxJIANiBMiikHvNq7TQFLtbnu.YbwnUUuh0emZ/',
  },
];

test('verifies hashes printed by openssl passwd and mkpasswd', () => {
  for (const v of toolVectors) {
    assert.equal(verifyCrypt(v.password, v.hash), true, v.command);
    assert.equal(verifyCrypt(v.password + 'x', v.hash), false, `wrong password for: ${v.command}`);
  }
});

test('cryptHash reproduces the tool output from the salt and rounds', () => {
  const schemes: Readonly<Record<string, CryptScheme>> = { '1': 'md5', '5': 'sha256', '6': 'sha512' };
  for (const v of toolVectors) {
    const m = /^\$([156])\$(?:rounds=(\d+)\$)?([^$]*)\$/.exec(v.hash);
    assert.ok(m, v.hash);
    const scheme = schemes[m[1] ?? ''];
    assert.ok(scheme);
    const rounds = m[2] === undefined ? undefined : Number(m[2]);
    assert.equal(cryptHash(v.password, m[3] ?? '', scheme, rounds), v.hash, v.command);
  }
});

// Drepper's "Unix crypt using SHA-256 and SHA-512" test vectors.
const specVectors: readonly { setting: string; salt: string; rounds?: number; password: string; hash: string }[] = [
  {
    setting: '$5$saltstring',
    salt: 'saltstring',
    password: 'Hello world!',
    hash: '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5',
  },
  {
    setting: '$5$rounds=10000$saltstringsaltstring',
    salt: 'saltstringsaltstring',
    rounds: 10000,
    password: 'Hello world!',
    hash: '$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA',
  },
  {
    setting: '$5$rounds=5000$toolongsaltstring',
    salt: 'toolongsaltstring',
    rounds: 5000,
    password: 'This is just a test',
    hash: '$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5',
  },
  {
    setting: '$5$rounds=1400$anotherlongsaltstring',
    salt: 'anotherlongsaltstring',
    rounds: 1400,
    password: 'a very much longer text to encrypt.  This one even stretches over morethan one line.',
    hash: '$5$rounds=1400$anotherlongsalts$Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1',
  },
  {
    setting: '$5$rounds=10$roundstoolow',
    salt: 'roundstoolow',
    rounds: 10,
    password: 'the minimum number is still observed',
    hash: '$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC',
  },
  {
    setting: '$6$saltstring',
    salt: 'saltstring',
    password: 'Hello world!',
    hash: '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
  },
  {
    setting: '$6$rounds=10000$saltstringsaltstring',
    salt: 'saltstringsaltstring',
    rounds: 10000,
    password: 'Hello world!',
    hash: '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
  },
  {
    setting: '$6$rounds=5000$toolongsaltstring',
    salt: 'toolongsaltstring',
    rounds: 5000,
    password: 'This is just a test',
    hash: '$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0',
  },
  {
    setting: '$6$rounds=1400$anotherlongsaltstring',
    salt: 'anotherlongsaltstring',
    rounds: 1400,
    password: 'a very much longer text to encrypt.  This one even stretches over morethan one line.',
    hash: '$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1',
  },
  {
    setting: '$6$rounds=10$roundstoolow',
    salt: 'roundstoolow',
    rounds: 10,
    password: 'the minimum number is still observed',
    hash: '$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.',
  },
];

test('matches the SHA-crypt specification vectors (salt cut to 16, rounds clamped to 1000)', () => {
  for (const v of specVectors) {
    const scheme: CryptScheme = v.setting.startsWith('$5$') ? 'sha256' : 'sha512';
    assert.equal(cryptHash(v.password, v.salt, scheme, v.rounds), v.hash, v.setting);
    assert.equal(verifyCrypt(v.password, v.hash), true, v.setting);
    assert.equal(verifyCrypt('Hello world?', v.hash), false, v.setting);
  }
});

test('an explicit rounds=5000 is kept in the output and changes nothing else', () => {
  assert.equal(
    cryptHash('Hello world!', 'saltstring', 'sha256', 5000),
    '$5$rounds=5000$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5',
  );
  assert.equal(verifyCrypt('Hello world!', '$5$rounds=5000$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5'), true);
});

test('an empty salt is allowed', () => {
  assert.equal(
    cryptHash('foo', '', 'sha512'),
    '$6$$QMXjqd7rHQZPQ1yHsXkQqC1FBzDiVfTHXL.LaeDAeVV.IzMaV9VU4MQ8kPuZa2SOP1A0RPm772EaFYjpEJtdu.',
  );
});

test('unknown, malformed or tampered hashes are false, never an exception', () => {
  const good = '$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA';
  const bad = [
    '',
    'secret',
    '$',
    '$5$',
    '$5$saltsalt',
    '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234',
    'abJnggxhB/yWI', // traditional DES crypt is not supported
    '$7$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA',
    '$5$rounds=abc$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA',
    '$5$rounds=99999999999$saltsalt$x',
    '$5$rounds=9999999999$saltsalt$x', // above the maximum: refused without computing
    '$5$rounds=05000$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA',
    good.slice(0, -1),
    good + 'A',
    good.slice(0, -1) + 'B',
    '$5$saltsaltsaltsaltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA',
    '$1$sa$lt$x',
    '$5$sa:lt$x',
  ];
  for (const hash of bad) assert.equal(verifyCrypt('secret', hash), false, JSON.stringify(hash));
  assert.equal(verifyCrypt('secret', good), true);
});

test('a hash written with rounds below the minimum never verifies, as with the C library', () => {
  // crypt() answers with rounds=1000 in its result, which differs from the stored rounds=10 string.
  assert.equal(
    verifyCrypt(
      'the minimum number is still observed',
      '$5$rounds=10$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC',
    ),
    false,
  );
});

test('cryptHash rejects bad arguments with TypeError', () => {
  assert.throws(() => cryptHash('x', 'sa$lt', 'sha512'), TypeError);
  assert.throws(() => cryptHash('x', 'salt', 'md5', 5000), TypeError);
  assert.throws(() => cryptHash('x', 'salt', 'sha256', -1), TypeError);
  assert.throws(() => cryptHash('x', 'salt', 'sha256', 1.5), TypeError);
  assert.throws(() => cryptHash('x', 'salt', 'des' as CryptScheme), TypeError);
});

test('MD5-crypt cuts the salt to 8 characters', () => {
  assert.equal(cryptHash('secret', 'saltsaltEXTRA', 'md5'), '$1$saltsalt$9xy1btjgzLYfb7hivXtC//');
});
