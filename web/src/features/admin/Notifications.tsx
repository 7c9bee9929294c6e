import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type SyntheticEvent, useState } from 'react';
import { useSearchParams } from 'react-router';

import { api, data, type Schemas } from '../../api/client';
import { ApiError, describe } from '../../api/problem';
import { FormError } from '../../components/Field';
import { Failed, Loading } from '../../components/Status';
import { text } from '../../lib/form';
import { usePageTitle } from '../../lib/title';

type Template = Schemas['TemplateView'];
const STATUSES = ['', 'pending', 'sent', 'failed', 'dead', 'suppressed'];

/** The delivery log: what was sent to whom and how it went; a failed message sent again. */
export function AdminMessages() {
  usePageTitle('Notifications');
  const [url, setUrl] = useSearchParams();
  const status = url.get('status') ?? '';
  const queries = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const messages = useQuery({
    queryKey: ['admin', 'messages', status],
    queryFn: () =>
      data(api.GET('/api/v1/admin/notifications/messages', { params: { query: { status: status || undefined, per_page: 50 } } })),
  });
  const resend = useMutation({
    mutationFn: (id: string) => data(api.POST('/api/v1/admin/notifications/messages/{id}/resend', { params: { path: { id } } })),
    onSuccess: () => { void queries.invalidateQueries({ queryKey: ['admin', 'messages'] }); },
    onError: (e) => { setError(describe(e)); },
  });
  return (
    <section>
      <h1>Notifications</h1>
      <FormError message={error} />
      <label className="field field--inline">
        Status
        <select value={status} onChange={(e) => { setUrl(e.target.value ? { status: e.target.value } : {}); }}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s === '' ? 'Any' : s}
            </option>
          ))}
        </select>
      </label>
      {messages.isPending && <Loading what="messages" />}
      {messages.isError && <Failed error={messages.error} />}
      {messages.data && (
        <table className="orders">
          <caption className="visually-hidden">Messages, newest first</caption>
          <thead>
            <tr>
              <th scope="col">To</th>
              <th scope="col">What</th>
              <th scope="col">Status</th>
              <th scope="col">When</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {messages.data.items.map((m) => (
              <tr key={m.id}>
                <th scope="row">{m.recipient}</th>
                <td>
                  {m.template} ({m.channel})
                </td>
                <td>
                  {m.status}
                  {m.last_error && <span className="muted"> — {m.last_error}</span>}
                </td>
                <td>{new Date(m.updated_at).toLocaleString('en')}</td>
                <td>
                  {['failed', 'dead'].includes(m.status) && (
                    <button type="button" className="link" onClick={() => { resend.mutate(m.id); }}>
                      Send again<span className="visually-hidden"> to {m.recipient}</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function TemplateEditor({ template }: { template: Template }) {
  const queries = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [preview, setPreview] = useState<Schemas['RenderedView'] | null>(null);
  const [saved, setSaved] = useState(false);
  const path = { params: { path: { name: template.name }, query: { locale: template.locale } } };
  const read = (form: HTMLFormElement) => {
    const f = new FormData(form);
    return { subject: text(f, 'subject'), text: text(f, 'text'), html: text(f, 'html') };
  };
  const fail = (e: unknown) => {
    setError(e instanceof ApiError ? (e.problem?.detail ?? describe(e)) : describe(e));
  };
  const save = useMutation({
    mutationFn: (parts: Schemas['PartsBody']) =>
      data(api.PUT('/api/v1/admin/notifications/templates/{name}', { ...path, body: parts })),
    onSuccess: () => {
      setSaved(true);
      void queries.invalidateQueries({ queryKey: ['admin', 'templates'] });
    },
    onError: fail,
  });
  const reset = useMutation({
    mutationFn: () => data(api.DELETE('/api/v1/admin/notifications/templates/{name}', path)),
    onSuccess: () => { void queries.invalidateQueries({ queryKey: ['admin', 'templates'] }); },
    onError: fail,
  });
  const submit = (event: SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError(null);
    setSaved(false);
    save.mutate(read(event.currentTarget));
  };
  return (
    <form onSubmit={submit} className="editor" aria-label={`Template ${template.name}`}>
      <h2>
        {template.name} <span className="muted">({template.custom ? "the shop's version" : 'as shipped'})</span>
      </h2>
      <FormError message={error} />
      {saved && <p className="notice" role="status">Saved.</p>}
      <label className="field">
        Subject
        <input name="subject" defaultValue={template.parts.subject} />
      </label>
      <label className="field">
        Text
        <textarea name="text" rows={8} defaultValue={template.parts.text} />
      </label>
      {template.name.endsWith('_sms') ? (
        <input type="hidden" name="html" value="" />
      ) : (
        <label className="field">
          HTML (values are escaped)
          <textarea name="html" rows={8} defaultValue={template.parts.html} />
        </label>
      )}
      <button type="submit" disabled={save.isPending}>
        Save template
      </button>{' '}
      <button
        type="button"
        className="button--secondary"
        onClick={(e) => {
          const form = e.currentTarget.form;
          if (form === null) return;
          setError(null);
          void data(api.POST('/api/v1/admin/notifications/templates/{name}/preview', { ...path, body: read(form) })).then(setPreview, fail);
        }}
      >
        Preview
      </button>{' '}
      {template.custom && (
        <button type="button" className="button--secondary" onClick={() => { reset.mutate(); }}>
          Back to the shipped version
        </button>
      )}
      {preview && (
        <section aria-label="Preview" className="preview">
          <p>
            <strong>{preview.subject}</strong>
          </p>
          <pre>{preview.text}</pre>
        </section>
      )}
    </form>
  );
}

export function AdminTemplates() {
  usePageTitle('Templates');
  const templates = useQuery({
    queryKey: ['admin', 'templates'],
    queryFn: () => data(api.GET('/api/v1/admin/notifications/templates')),
  });
  const [open, setOpen] = useState<string | null>(null);
  if (templates.isPending) return <Loading what="templates" />;
  if (templates.isError) return <Failed error={templates.error} />;
  const chosen = templates.data.find((t) => t.name === open);
  return (
    <section>
      <h1>Message templates</h1>
      <ul className="chips">
        {templates.data.map((t) => (
          <li key={`${t.name}-${t.locale}`}>
            <button type="button" className="link" aria-pressed={t.name === open} onClick={() => { setOpen(t.name); }}>
              {t.name}
              {t.custom ? ' *' : ''}
            </button>
          </li>
        ))}
      </ul>
      {chosen && <TemplateEditor key={`${chosen.name}-${String(chosen.history.length)}`} template={chosen} />}
    </section>
  );
}
