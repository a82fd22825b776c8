import { t } from '../i18n';

/** Conditions and alerts have not landed in the hub yet: this page only holds their place. */
export function ConditionsPage() {
  return (
    <div class="page">
      <section class="card placeholder" data-testid="conditions-placeholder">
        <h2>{t('conditions')}</h2>
        <p>{t('conditionsPending')}</p>
      </section>
    </div>
  );
}
