/** Reads everything piped on stdin, minus one trailing line break. */
async function readPiped(stdin: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Prompts on a terminal without echoing what is typed. */
function prompt(stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream, question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let typed = '';
    stderr.write(question);
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.resume();
    const finish = (result: string | Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write('\n');
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (text: string) => {
      for (const character of text) {
        if (character === '\r' || character === '\n') return finish(typed);
        if (character === '\u0003' || character === '\u0004') return finish(new Error('cancelled'));
        if (character === '\u007f' || character === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += character;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * The new account's password: from ALETHEIA_USER_PASSWORD, else from stdin (piped, or
 * typed twice at a terminal). Never from the command line, where `ps` and shell
 * history would show it.
 */
export async function readPassword(env: NodeJS.ProcessEnv): Promise<string> {
  const fromEnv = env.ALETHEIA_USER_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!process.stdin.isTTY) return readPiped(process.stdin);
  const first = await prompt(process.stdin, process.stderr, 'Password: ');
  const second = await prompt(process.stdin, process.stderr, 'Repeat password: ');
  if (first !== second) throw new Error('the two passwords differ');
  return first;
}
