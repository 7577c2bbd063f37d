import { createHash } from 'node:crypto';
import { AscError, type AscTask, type AscTaskContext, drift, ok } from '../../src/index.ts';
import { guestProbe, markStale, parseProbe } from '../lima/api.ts';
import type { OnePasswordOptions } from './options.ts';
import { FACT_OS, OS_SCRIPT } from './tasks.ts';

export const FACT_OP = 'onepassword.op';
export const FACT_TOKEN = 'onepassword.token';

/** In the guest home; mode 0600 in a 0700 folder. The only place the token is ever written. */
export const TOKEN_FILE = '.config/asc/op-service-account-token';
/** Read by every login shell (Ubuntu's /etc/profile sources /etc/profile.d/*.sh). Holds no secret. */
export const PROFILE_SNIPPET = '/etc/profile.d/asc-onepassword.sh';

export const OP_SCRIPT = 'command -v op';
/** The token file's mode, and a hash of OP_SERVICE_ACCOUNT_TOKEN as a login shell has it: never the token. */
export const TOKEN_SCRIPT = [
  `f="$HOME/${TOKEN_FILE}"`,
  `if [ -f "$f" ]; then printf 'file=%s\\n' "$(stat -c %a "$f")"; else echo file=none; fi`,
  'if [ -n "$OP_SERVICE_ACCOUNT_TOKEN" ]; then',
  `  printf 'env=%s\\n' "$(printf %s "$OP_SERVICE_ACCOUNT_TOKEN" | sha256sum | cut -c1-64)"`,
  'else echo env=unset; fi',
].join('\n');

const SNIPPET = `# Written by asc (the onepassword plugin): the 1Password service account for \`op\` in this VM.
# The token is in ~/${TOKEN_FILE} (mode 0600), never in this file.
if [ -r "$HOME/${TOKEN_FILE}" ]; then
  OP_SERVICE_ACCOUNT_TOKEN="$(cat "$HOME/${TOKEN_FILE}")"
  export OP_SERVICE_ACCOUNT_TOKEN
fi
`;

/** The token arrives on stdin, never as an argument: umask 077, a temporary file, then a rename. */
const WRITE_TOKEN = [
  'set -e',
  'umask 077',
  `d="$HOME/${TOKEN_FILE.slice(0, TOKEN_FILE.lastIndexOf('/'))}"`,
  'mkdir -p "$d"',
  'chmod 700 "$d"',
  `f="$HOME/${TOKEN_FILE}"`,
  'cat > "$f.tmp"',
  'chmod 600 "$f.tmp"',
  'mv -f "$f.tmp" "$f"',
].join('\n');

/** 1Password's apt repository and its debsig policy, then the package (developer.1password.com/docs/cli/get-started). */
export const INSTALL_OP = [
  'set -eu',
  'arch="$(dpkg --print-architecture)"',
  'curl -fsSL https://downloads.1password.com/linux/keys/1password.asc | gpg --dearmor --yes --output /usr/share/keyrings/1password-archive-keyring.gpg',
  'echo "deb [arch=$arch signed-by=/usr/share/keyrings/1password-archive-keyring.gpg] https://downloads.1password.com/linux/debian/$arch stable main" > /etc/apt/sources.list.d/1password.list',
  'mkdir -p /etc/debsig/policies/AC2D62742012EA22',
  'curl -fsSL https://downloads.1password.com/linux/debian/debsig/1password.pol > /etc/debsig/policies/AC2D62742012EA22/1password.pol',
  'mkdir -p /usr/share/debsig/keyrings/AC2D62742012EA22',
  'curl -fsSL https://downloads.1password.com/linux/keys/1password.asc | gpg --dearmor --yes --output /usr/share/debsig/keyrings/AC2D62742012EA22/debsig.gpg',
  'apt-get update -qq',
  'apt-get install -y -qq 1password-cli',
].join('\n');

const NIXOS_OP =
  'op comes from your NixOS flake (the nixos plugin): add pkgs._1password-cli (unfree: allowUnfreePredicate must name "1password-cli")';

/** What `op` in the VM does without a service account, said in plan and run. */
export const WITHOUT_SERVICE_ACCOUNT =
  "op in the VM cannot use the Mac's 1Password app (its biometric unlock does not reach a VM); " +
  'SSH keys work through the forwarded agent. For op, set plugins.onepassword.serviceAccount.tokenRef, or sign in inside the VM (`op account add`, `eval $(op signin)`)';

interface TokenRecord {
  tokenRef: string;
  sha256: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function opTasks(options: OnePasswordOptions): AscTask[] {
  const account = options.serviceAccount;
  if (!account) {
    return [
      {
        id: 'op-in-vm',
        title: 'op in the VM: no service account configured',
        phase: 'phase2',
        async check(t) {
          t.log.info(WITHOUT_SERVICE_ACCOUNT);
          return ok(WITHOUT_SERVICE_ACCOUNT);
        },
        async apply() {},
      },
    ];
  }
  return [
    {
      id: 'op-cli',
      title: 'op (1Password CLI) is in the VM',
      phase: 'phase2',
      needs: ['lima.running'],
      async check(t) {
        const op = await guestProbe(t, FACT_OP, OP_SCRIPT);
        if (op) return ok(op);
        if ((await guestProbe(t, FACT_OS, OS_SCRIPT)) === 'nixos')
          return drift(`no op in the VM: ${NIXOS_OP}`);
        return drift("no op in the VM: it would be installed from 1Password's apt repository");
      },
      async apply(t) {
        if ((await guestProbe(t, FACT_OS, OS_SCRIPT)) === 'nixos') {
          throw new AscError('no op in the VM, and asc does not install packages on NixOS', {
            code: 'E_REFUSED',
            hint: NIXOS_OP,
          });
        }
        await t.guest.run(['sudo', '-n', 'sh', '-c', INSTALL_OP], { timeoutMs: 15 * 60_000 });
        await markStale(t, FACT_OP);
      },
    },
    {
      id: 'op-token',
      title: "the service account's token is in the VM, for op in every login shell",
      phase: 'phase2',
      needs: ['lima.running'],
      async check(t) {
        const problem = await tokenProblem(t, account.tokenRef);
        return problem ? drift(problem) : ok(`from ${account.tokenRef}, in ~/${TOKEN_FILE} (0600)`);
      },
      async apply(t) {
        const token = await readToken(t, account.tokenRef);
        await t.guest.run(['sh', '-c', WRITE_TOKEN], { input: token, timeoutMs: 60_000 });
        const nixos = (await guestProbe(t, FACT_OS, OS_SCRIPT)) === 'nixos';
        if (!nixos) {
          await t.guest.run(['sudo', '-n', 'tee', PROFILE_SNIPPET], { input: SNIPPET, timeoutMs: 60_000 });
        }
        await t.state.set('op-token', {
          tokenRef: account.tokenRef,
          sha256: sha256(token),
        } satisfies TokenRecord);
        await markStale(t, FACT_TOKEN);
        if (nixos && (await tokenProblem(t, account.tokenRef))) {
          throw new AscError(`the token is in ~/${TOKEN_FILE} in the VM, but NixOS shells do not export it`, {
            code: 'E_REFUSED',
            hint: `NixOS does not read /etc/profile.d: in your flake (the nixos plugin), add to environment.extraInit: [ -r "$HOME/${TOKEN_FILE}" ] && export OP_SERVICE_ACCOUNT_TOKEN="$(cat "$HOME/${TOKEN_FILE}")"`,
          });
        }
      },
    },
    {
      id: 'op-works',
      title: 'op whoami in the VM reports the service account',
      phase: 'phase2',
      needs: ['onepassword.op-cli', 'onepassword.op-token'],
      async check(t) {
        const found = await whoami(t);
        return found.ok ? ok('User Type: SERVICE_ACCOUNT') : drift(found.reason);
      },
      async apply(t) {
        const found = await whoami(t);
        if (found.ok) return;
        throw new AscError(found.reason, { code: 'E_COMMAND_FAILED', hint: found.hint });
      },
    },
  ];
}

/**
 * Compares hashes only: the token file's mode, and the sha256 of OP_SERVICE_ACCOUNT_TOKEN in a guest
 * login shell against the one asc recorded when it wrote the token. The token itself is read only in apply.
 */
async function tokenProblem(t: AscTaskContext, tokenRef: string): Promise<string | undefined> {
  const record = await t.state.get<TokenRecord>('op-token');
  if (!record || record.tokenRef !== tokenRef) return `no token from ${tokenRef} written in the VM yet`;
  const probe = parseProbe(await guestProbe(t, FACT_TOKEN, TOKEN_SCRIPT));
  if (probe.file === 'none') return `~/${TOKEN_FILE} is missing in the VM`;
  if (probe.file !== '600') return `~/${TOKEN_FILE} in the VM has mode ${probe.file}, want 600`;
  if (probe.env === 'unset') return 'OP_SERVICE_ACCOUNT_TOKEN is not set in guest login shells';
  if (probe.env !== record.sha256) return 'the token in guest shells is not the one asc wrote';
  return undefined;
}

/** `op read` on the Mac. Its output is the secret: it goes to the guest's stdin and nowhere else. */
async function readToken(t: AscTaskContext, tokenRef: string): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await t.exec.query('op', ['read', tokenRef], { timeoutMs: 5 * 60_000 }));
  } catch (error) {
    if (!(error instanceof AscError) || error.code !== 'E_COMMAND_FAILED') throw error;
    // A failed `op read` prints no secret: its message is op's error line.
    const said = error.message.trim().split('\n').at(-1)?.trim() ?? '';
    throw new AscError(`op read on the Mac could not read ${tokenRef}: ${said}`, {
      code: 'E_COMMAND_FAILED',
      hint: `check the reference with \`op read "${tokenRef}"\`; op on the Mac needs 1Password's CLI integration (Settings → Developer) or \`op signin\``,
    });
  }
  const token = stdout.trim();
  if (!/^ops_\S+$/.test(token)) {
    throw new AscError(`${tokenRef} does not hold a service account token (those start with "ops_")`, {
      code: 'E_COMMAND_FAILED',
      hint: 'point plugins.onepassword.serviceAccount.tokenRef at the credential field of the service account item',
    });
  }
  return token;
}

async function whoami(
  t: AscTaskContext,
): Promise<{ ok: true } | { ok: false; reason: string; hint: string }> {
  const result = await t.guest.query(['op', 'whoami'], {
    timeoutMs: 60_000,
    okCodes: Array.from({ length: 256 }, (_, code) => code),
  });
  if (result.exitCode === 0 && /^User Type:\s+SERVICE_ACCOUNT\s*$/m.test(result.stdout)) return { ok: true };
  const said = (result.stderr.trim() || result.stdout.trim()).split('\n').at(-1) ?? '';
  if (result.exitCode === 0) {
    return {
      ok: false,
      reason: `op whoami in the VM reports another account: ${said}`,
      hint: 'an OP_CONNECT_HOST/OP_CONNECT_TOKEN or a manual sign-in takes precedence; check `lima op whoami`',
    };
  }
  if (/not signed in/.test(said)) {
    return {
      ok: false,
      reason: `op whoami in the VM: ${said}`,
      hint: `asc exports OP_SERVICE_ACCOUNT_TOKEN from ${PROFILE_SNIPPET} in login shells (bash, sh); for zsh, add to ~/.zshenv: [ -r ~/${TOKEN_FILE} ] && export OP_SERVICE_ACCOUNT_TOKEN="$(cat ~/${TOKEN_FILE})"`,
    };
  }
  return {
    ok: false,
    reason: `op whoami in the VM failed: ${said}`,
    hint: `if the token was rotated or revoked, remove it in the VM (\`lima rm ~/${TOKEN_FILE}\`) and run \`asc run onepassword.op-token\` to read it again`,
  };
}
