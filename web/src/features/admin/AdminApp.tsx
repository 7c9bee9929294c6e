// The admin and vendor panel, loaded only when opened (its code stays out of the
// storefront's bundle). Vendors see their own products, stock and figures; admins the shop.
import { NavLink, Outlet, Route, Routes } from 'react-router';

import './admin.css';

import { NotFoundPage } from '../../components/NotFoundPage';
import { RequireSignIn } from '../account/RequireSignIn';
import { useSession } from '../account/session';
import { AdminCategories } from './Categories';
import { Dashboard } from './Dashboard';
import { AdminInventory } from './Inventory';
import { AdminMessages, AdminTemplates } from './Notifications';
import { AdminOrder, AdminOrders } from './Orders';
import { ProductEditor } from './ProductEditor';
import { AdminProducts } from './Products';
import { AdminUsers } from './Users';

function Shell() {
  const { user } = useSession();
  return (
    <div className="admin">
      <nav aria-label="Admin" className="admin__nav">
        <ul>
          <li>
            <NavLink to="/admin" end>
              Dashboard
            </NavLink>
          </li>
          {user?.role === 'admin' && (
            <li>
              <NavLink to="/admin/orders">Orders</NavLink>
            </li>
          )}
          <li>
            <NavLink to="/admin/products">Products</NavLink>
          </li>
          <li>
            <NavLink to="/admin/inventory">Inventory</NavLink>
          </li>
          {user?.role === 'admin' && (
            <>
              <li>
                <NavLink to="/admin/categories">Categories</NavLink>
              </li>
              <li>
                <NavLink to="/admin/users">Users</NavLink>
              </li>
              <li>
                <NavLink to="/admin/notifications">Notifications</NavLink>
              </li>
              <li>
                <NavLink to="/admin/templates">Templates</NavLink>
              </li>
            </>
          )}
        </ul>
      </nav>
      <div className="admin__main">
        <Outlet />
      </div>
    </div>
  );
}

export default function AdminApp() {
  return (
    <RequireSignIn roles={['admin', 'vendor']}>
      <Routes>
        <Route element={<Shell />}>
          <Route index element={<Dashboard />} />
          <Route path="orders" element={<RequireSignIn roles={['admin']}><AdminOrders /></RequireSignIn>} />
          <Route path="orders/:id" element={<RequireSignIn roles={['admin']}><AdminOrder /></RequireSignIn>} />
          <Route path="products" element={<AdminProducts />} />
          <Route path="products/new" element={<ProductEditor />} />
          <Route path="products/:id" element={<ProductEditor />} />
          <Route path="inventory" element={<AdminInventory />} />
          <Route path="categories" element={<RequireSignIn roles={['admin']}><AdminCategories /></RequireSignIn>} />
          <Route path="users" element={<RequireSignIn roles={['admin']}><AdminUsers /></RequireSignIn>} />
          <Route path="notifications" element={<RequireSignIn roles={['admin']}><AdminMessages /></RequireSignIn>} />
          <Route path="templates" element={<RequireSignIn roles={['admin']}><AdminTemplates /></RequireSignIn>} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </RequireSignIn>
  );
}
