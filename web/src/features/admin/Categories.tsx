import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type SyntheticEvent, useState } from 'react';

import { api, data } from '../../api/client';
import { ApiError, describe } from '../../api/problem';
import { Field, FormError } from '../../components/Field';
import { Failed, Loading } from '../../components/Status';
import { text } from '../../lib/form';
import { slugOf } from '../../lib/slug';
import { usePageTitle } from '../../lib/title';
import { type Category, useCategories } from '../catalog/queries';

function flatten(tree: Category[], depth = 0): { id: string; label: string }[] {
  return tree.flatMap((c) => [{ id: c.id, label: `${'— '.repeat(depth)}${c.name}` }, ...flatten(c.children, depth + 1)]);
}

function CategoryForm({ category, tree, onDone }: { category: Category | null; tree: Category[]; onDone: () => void }) {
  const queries = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: (body: { name: string; slug: string; description: string; parent_id: string; active: boolean }) =>
      category
        ? data(api.PATCH('/api/v1/categories/{id}', { params: { path: { id: category.id } }, body }))
        : data(api.POST('/api/v1/categories', { body })),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ['categories'] });
      onDone();
    },
    onError: (e) => {
      if (e instanceof ApiError) setFields(e.fieldErrors());
      setError(describe(e));
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => data(api.DELETE('/api/v1/categories/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ['categories'] });
      onDone();
    },
    onError: (e) => { setError(describe(e)); },
  });
  const submit = (event: SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const name = text(form, 'name');
    setError(null);
    save.mutate({
      name,
      slug: text(form, 'slug') || slugOf(name),
      description: text(form, 'description'),
      parent_id: text(form, 'parent_id'),
      active: form.get('active') === 'on',
    });
  };
  // A category cannot go under itself or its own subtree.
  const own = new Set(category ? flatten([category]).map((c) => c.id) : []);
  return (
    <form onSubmit={submit} noValidate className="editor" aria-label={category ? `Edit ${category.name}` : 'New category'}>
      <FormError message={error} />
      <Field label="Name" name="name" defaultValue={category?.name ?? ''} required error={fields.name} />
      <Field label="Slug (in the address)" name="slug" defaultValue={category?.slug ?? ''} hint="Made from the name when left empty." error={fields.slug} />
      <Field label="Description" name="description" defaultValue={category?.description ?? ''} error={fields.description} />
      <label className="field">
        Parent
        <select name="parent_id" defaultValue={category?.parent_id ?? ''}>
          <option value="">None (top level)</option>
          {flatten(tree)
            .filter((c) => !own.has(c.id))
            .map((c) => (
              <option key={c.id} value={c.id}>
                {c.label}
              </option>
            ))}
        </select>
      </label>
      <label className="check">
        <input type="checkbox" name="active" defaultChecked={category?.active ?? true} />
        Shown in the shop
      </label>
      <button type="submit" disabled={save.isPending}>
        {category ? 'Save category' : 'Create category'}
      </button>{' '}
      {category && (
        <button type="button" className="button--secondary" disabled={remove.isPending} onClick={() => { remove.mutate(category.id); }}>
          Delete {category.name}
        </button>
      )}
    </form>
  );
}

function Tree({ categories, onEdit }: { categories: Category[]; onEdit: (c: Category) => void }) {
  return (
    <ul className="tree">
      {categories.map((c) => (
        <li key={c.id}>
          <button type="button" className="link" onClick={() => { onEdit(c); }}>
            {c.name}
          </button>
          {!c.active && <span className="muted"> (hidden)</span>}
          {c.children.length > 0 && <Tree categories={c.children} onEdit={onEdit} />}
        </li>
      ))}
    </ul>
  );
}

export function AdminCategories() {
  usePageTitle('Categories');
  const categories = useCategories();
  const [editing, setEditing] = useState<Category | null | 'new'>(null);
  if (categories.isPending) return <Loading what="categories" />;
  if (categories.isError) return <Failed error={categories.error} />;
  return (
    <section>
      <h1>Categories</h1>
      <div className="panels">
        <nav aria-label="Category tree">
          <Tree categories={categories.data} onEdit={setEditing} />
          <button type="button" onClick={() => { setEditing('new'); }}>
            New category
          </button>
        </nav>
        {editing !== null && (
          <CategoryForm
            key={editing === 'new' ? 'new' : editing.id}
            category={editing === 'new' ? null : editing}
            tree={categories.data}
            onDone={() => { setEditing(null); }}
          />
        )}
      </div>
    </section>
  );
}
