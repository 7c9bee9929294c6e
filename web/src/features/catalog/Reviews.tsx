import { Failed, Loading } from '../../components/Status';
import { type Product, useReviews } from './queries';

/** The rating summary and the reviews, their text shown as text (React escapes it). */
export function Reviews({ product }: { product: Product }) {
  const reviews = useReviews(product.id);
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
            <p className="review__meta">
              {new Date(r.created_at).toLocaleDateString('en')} · {r.helpful_count} found this helpful
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
