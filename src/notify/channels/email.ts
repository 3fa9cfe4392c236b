/**
 * E-mail through SMTP (nodemailer, imported on the first send so a daemon without e-mail never
 * loads it). `starttls` refuses a server that does not offer STARTTLS (requireTLS); the server
 * certificate is always verified (against `caFile` when set); connect, greeting and socket
 * timeouts bound a server that hangs. One connection per message: notifications are rare.
 */
import { type NotifyConfig, readEmailCa } from '../../config/notify.js';
import { emailMessage } from '../format/email.js';
import { DeliveryError, errorCode, excerpt, type NotifyChannel, type Receipt } from './delivery.js';

type EmailConfig = NotifyConfig['email'];

/** nodemailer's error fields (it sets them on the Error it rejects with). */
interface SmtpFailure {
  readonly code?: string;
  readonly responseCode?: number;
  readonly response?: string;
  readonly message?: string;
}

function smtpFix(f: SmtpFailure, config: EmailConfig): { fix: string; retryable: boolean } {
  const code = f.code ?? '';
  if (code === 'EAUTH')
    return {
      fix: 'The SMTP server refused the login: check notify.email.user and the password (notify.email.passwordFile); some servers need an app password.',
      retryable: true,
    };
  if (code === 'ETLS' || /STARTTLS/i.test(f.message ?? ''))
    return {
      fix:
        config.security === 'starttls'
          ? 'The server did not upgrade to TLS: use security "tls" for port 465, or a server that offers STARTTLS on this port.'
          : 'The TLS handshake failed: check notify.email.security and port (465 = tls, 587 = starttls).',
      retryable: true,
    };
  if (/certificate|self.signed|CERT_/i.test(`${code} ${f.message ?? ''}`))
    return {
      fix: 'The server certificate is not trusted or does not name this host: set notify.email.caFile to the PEM of your private CA, and notify.email.host to the name in the certificate.',
      retryable: true,
    };
  if (code === 'EENVELOPE')
    return {
      fix: 'The server refused the sender or a recipient: check notify.email.from (an address this user may send as) and notify.email.to.',
      retryable: (f.responseCode ?? 500) < 500,
    };
  if (code === 'ETIMEDOUT' || code === 'ECONNECTION' || code === 'ESOCKET' || code === 'EDNS')
    return {
      fix: `Check that this host reaches ${config.host}:${config.port} (firewall, DNS) and that notify.email.security matches the port.`,
      retryable: true,
    };
  return { fix: 'Look at the SMTP answer above; the message is retried.', retryable: true };
}

export function createEmailChannel(config: EmailConfig): NotifyChannel {
  const target = `${config.host}:${config.port}`;
  // A wrong caFile path fails now (daemon start, `notify test`), not at the first message.
  const ca = readEmailCa(config);
  const send = async (event: Parameters<NotifyChannel['send']>[0], signal: AbortSignal): Promise<Receipt> => {
    const { createTransport } = await import('nodemailer');
    const transport = createTransport({
      host: config.host,
      port: config.port,
      secure: config.security === 'tls',
      requireTLS: config.security === 'starttls',
      ignoreTLS: config.security === 'none',
      ...(config.user ? { auth: { user: config.user, pass: config.password } } : {}),
      tls: {
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
        servername: config.host,
        ...(ca ? { ca } : {}),
      },
      connectionTimeout: config.timeoutMs,
      greetingTimeout: config.timeoutMs,
      socketTimeout: config.timeoutMs,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    const abort = (): void => transport.close();
    signal.addEventListener('abort', abort, { once: true });
    try {
      const m = emailMessage(event);
      const info = await transport.sendMail({
        from: config.from,
        to: [...config.to],
        subject: m.subject,
        text: m.text,
        html: m.html,
      });
      return { detail: excerpt(String(info.response ?? 'accepted')) };
    } catch (e) {
      if (signal.aborted)
        throw new DeliveryError(`${target}: cancelled`, {
          retryable: false,
          place: target,
          fix: 'The daemon stopped or the attempt took too long; the message was not confirmed.',
          cause: e,
        });
      const f = e as SmtpFailure;
      const { fix, retryable } = smtpFix(f, config);
      const said = f.response ? excerpt(f.response) : excerpt(f.message ?? String(e));
      throw new DeliveryError(`${target}: ${errorCode(e) ?? 'SMTP error'} ${said}`.trim(), {
        retryable,
        place: target,
        fix,
        ...(f.responseCode ? { status: f.responseCode } : {}),
        cause: e,
      });
    } finally {
      signal.removeEventListener('abort', abort);
      transport.close();
    }
  };
  return { name: 'email', target, send };
}
