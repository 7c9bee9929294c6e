import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type SyntheticEvent, useState } from 'react';
import { Link, useLocation } from 'react-router';

import { api, data } from '../../api/client';
import { ApiError, describe } from '../../api/problem';
import { FormError } from '../../components/Field';
import { Failed, Loading } from '../../components/Status';
import { text } from '../../lib/form';
import { useSession } from '../account/session';
import { type Product, useReviews } from './queries';

function WriteReview({ productId }: { productId: string }) {
  const queries = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const write = useMutation({
    mutationFn: (body: { rating: number; comment: string }) =>
      data(api.POST('/api/v1/products/{id}/reviews', { params: { path: { id: productId } }, body })),
    onSuccess: () => {
      setDone(true);
      void queries.invalidateQueries({ queryKey: ['reviews', productId] });
      void queries.invalidateQueries({ queryKey: ['product', productId] });
    },
    onError: (e) => {
      setError(e instanceof ApiError && e.status === 409 ? 'You have reviewed this product already.' : describe(e));
    },
  });
  function submit(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const rating = Number(text(form, 'rating'));
    if (!Number.isInteger(rating) || rating < 1 || rating > 5) {
      setError('Choose from 1 to 5 stars.');
      return;
    }
    setError(null);
    write.mutate({ rating, comment: text(form, 'comment') });
  }
  if (done) return <p className="notice" role="status">Thank you for your review.</p>;
  return (
    <form className="review-form" onSubmit={submit} noValidate>
      <h3>Write a review</h3>
      <FormError message={error} />
      <fieldset className="stars">
        <legend>Your rating</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n} className="check">
            <input type="radio" name="rating" value={n} />
            {n} {n === 1 ? 'star' : 'stars'}
          </label>
        ))}
      </fieldset>
      <label className="field">
        Your review
        <textarea name="comment" rows={4} maxLength={4000} />
      </label>
      <button type="submit" disabled={write.isPending}>
        Post review
      </button>
    </form>
  );
}

function Helpful({ reviewId, productId, count }: { reviewId: string; productId: string; count: number }) {
  const { user } = useSession();
  const queries = useQueryClient();
  const [voted, setVoted] = useState(false);
  const vote = useMutation({
    mutationFn: () => data(api.POST('/api/v1/reviews/{id}/helpful', { params: { path: { id: reviewId } } })),
    onSuccess: () => {
      setVoted(true);
      void queries.invalidateQueries({ queryKey: ['reviews', productId] });
    },
  });
  return (
    <p className="review__meta">
      {count} found this helpful
      {user && !voted && (
        <>
          {' · '}
          <button type="button" className="link" disabled={vote.isPending} onClick={() => { vote.mutate(); }}>
            Helpful
          </button>
        </>
      )}
      {voted && ' · Thanks for your vote'}
    </p>
  );
}

/** The rating summary and the reviews, their text shown as text (React escapes it). */
export function Reviews({ product }: { product: Product }) {
  const reviews = useReviews(product.id);
  const { user } = useSession();
  const location = useLocation();
  const { histogram, count } = product.rating;
  return (
    <section id="reviews" className="reviews" aria-labelledby="reviews-heading">
      <h2 id="reviews-heading">Reviews</h2>
      {count > 0 && (
        <table className="histogram">
          <caption>How {count} people rated it</caption>
          <tbody>
            {[5, 4, 3, 2, 1].map((stars) => (
              <tr key={stars}>
                <th scope="row">{stars} stars</th>
                <td>
                  <meter min={0} max={count} value={histogram[stars - 1] ?? 0} aria-label={`${stars} stars`} />
                </td>
                <td>{histogram[stars - 1] ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {reviews.isPending && <Loading what="reviews" />}
      {reviews.isError && <Failed error={reviews.error} />}
      {reviews.data?.items.length === 0 && <p>No reviews yet.</p>}
      <ul className="review-list">
        {reviews.data?.items.map((r) => (
          <li key={r.id} className="review">
            <p className="review__rating">{r.rating} out of 5</p>
            {r.verified_purchase && <p className="review__badge">Verified purchase</p>}
            <p className="review__comment">{r.comment}</p>
            <p className="review__meta">{new Date(r.created_at).toLocaleDateString('en')}</p>
            <Helpful reviewId={r.id} productId={product.id} count={r.helpful_count} />
          </li>
        ))}
      </ul>
      {user ? (
        <WriteReview productId={product.id} />
      ) : (
        <p>
          <Link to={`/sign-in?return_to=${encodeURIComponent(location.pathname)}`}>Sign in</Link> to write a review.
        </p>
      )}
    </section>
  );
}
